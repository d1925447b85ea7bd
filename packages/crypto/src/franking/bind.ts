/**
 * Server binding of a franking tag: `rf = HMAC-SHA256(serverKey[kid], label ‖ tf ‖ sender ‖
 * conversation ‖ seq ‖ ts)`. Because `rf` binds `seq`, a transcript proves order and gaps.
 * Keys carry ids so they rotate without invalidating older reports.
 */
import type { DeviceAddress } from '@parley/protocol'
import { NotFoundError } from '@parley/protocol'
import { abytes, astring } from '../_assert.js'
import { concat, fromBase64, lp, toBase64, u64be } from '../_bytes.js'
import { hmacSha256, label, LABELS } from '../kdf.js'
import { nobleSymmetric } from '../provider/_noble-symmetric.js'
import type { SymmetricPrimitives } from '../provider/provider.js'
import { systemRandom, type RandomSource } from '../random.js'

/** The server's franking keys by id; `currentKid` binds new messages. */
export interface FrankingKeyring {
  currentKid: string
  keys: Record<string, Uint8Array>
}

/** Bytes of a franking key. */
export const FRANKING_KEY_BYTES = 32

/** A fresh server franking key. */
export function generateFrankingKey(random: RandomSource = systemRandom): Uint8Array {
  return random(FRANKING_KEY_BYTES)
}

/** Looks up a key by id (own properties only). */
export function keyById(keys: Record<string, Uint8Array>, kid: string): Uint8Array | undefined {
  return Object.prototype.hasOwnProperty.call(keys, kid) ? keys[kid] : undefined
}

/** Longest binding input built in the scratch buffer; longer inputs (huge ids) are concatenated. */
const SCRATCH_BYTES = 1024
const scratch = new Uint8Array(SCRATCH_BYTES)
const scratchView = new DataView(scratch.buffer)
const encoder = new TextEncoder()
const BIND_LABEL = label(LABELS.frankingBind)

/** Writes `lp(text)` at `o` (u32 length then UTF-8), or returns -1 when it may not fit. */
function putLp(text: string, o: number): number {
  // UTF-8 needs at most 3 bytes per UTF-16 unit.
  if (o + 4 + 3 * text.length > SCRATCH_BYTES) return -1
  const { written } = encoder.encodeInto(text, scratch.subarray(o + 4))
  scratchView.setUint32(o, written, false)
  return o + 4 + written
}

/** Writes `u64be(n)` at `o`. @throws {RangeError} not a non-negative safe integer. */
function putU64(n: number, o: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"n" expected a non-negative safe integer, got ${n}`)
  scratchView.setUint32(o, Math.floor(n / 0x1_0000_0000), false)
  scratchView.setUint32(o + 4, n >>> 0, false)
  return o + 8
}

/**
 * The bound value, as bytes. The server binds every message it stores, so the HMAC input
 * `label ‖ tf ‖ lp(user) ‖ lp(device) ‖ lp(conversation) ‖ u64(seq) ‖ u64(ts)` is written
 * into one reused buffer (the HMAC consumes it at once) rather than built from a dozen small
 * arrays; the bytes are the same either way.
 */
export function bindingBytes(
  key: Uint8Array, a: { tf: Uint8Array; sender: DeviceAddress; conversationId: string; seq: number; ts: number }, sym: SymmetricPrimitives = nobleSymmetric,
): Uint8Array {
  let o = BIND_LABEL.length + a.tf.length
  if (o <= SCRATCH_BYTES) {
    scratch.set(BIND_LABEL, 0)
    scratch.set(a.tf, BIND_LABEL.length)
    o = putLp(a.sender.userId, o)
    if (o >= 0) o = putLp(a.sender.deviceId, o)
    if (o >= 0) o = putLp(a.conversationId, o)
    if (o >= 0 && o + 16 <= SCRATCH_BYTES) {
      o = putU64(a.ts, putU64(a.seq, o))
      return hmacSha256(key, scratch.subarray(0, o), sym)
    }
  }
  return hmacSha256(key, concat(
    BIND_LABEL, a.tf, lp(a.sender.userId), lp(a.sender.deviceId), lp(a.conversationId), u64be(a.seq), u64be(a.ts),
  ), sym)
}

/** The canonical base64 text of 32 bytes: 43 symbols, the last with its two low bits zero, then `=`. */
const CANONICAL_TF = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
const SEXTET = new Uint8Array(128)
for (let i = 0; i < B64.length; i++) SEXTET[B64.charCodeAt(i)] = i

/**
 * Decodes a franking tag. Text the pattern accepts is canonical base64 of 32 bytes, decoded
 * here in one pass (the server binds every message it stores; the general decoder re-encodes
 * to check canonical form and goes through Buffer); anything else takes the general decoder
 * and its errors.
 */
function decodeTf(text: string): Uint8Array {
  if (CANONICAL_TF.test(text)) {
    const out = new Uint8Array(32)
    let o = 0
    for (let i = 0; i < 40; i += 4) {
      const n = (SEXTET[text.charCodeAt(i)]! << 18) | (SEXTET[text.charCodeAt(i + 1)]! << 12) | (SEXTET[text.charCodeAt(i + 2)]! << 6) | SEXTET[text.charCodeAt(i + 3)]!
      out[o++] = n >>> 16
      out[o++] = (n >>> 8) & 0xff
      out[o++] = n & 0xff
    }
    // 40..43: three symbols and '=' carry the last two bytes.
    const n = (SEXTET[text.charCodeAt(40)]! << 18) | (SEXTET[text.charCodeAt(41)]! << 12) | (SEXTET[text.charCodeAt(42)]! << 6)
    out[30] = n >>> 16
    out[31] = (n >>> 8) & 0xff
    return out
  }
  const tf = fromBase64(text)
  if (tf.length !== 32) throw new RangeError('"tf" expected base64 of 32 bytes')
  return tf
}

/**
 * Binds a message's franking tag to its sender, conversation, seq and server timestamp.
 * `sym` (any provider, e.g. `nodeNativeProvider()`) runs the HMAC; same bytes on every provider.
 * @throws {NotFoundError} `currentKid` is not in the keyring.
 * @throws {TypeError|RangeError} malformed arguments.
 */
export function bindFranking(keyring: FrankingKeyring, args: {
  tf: string; sender: DeviceAddress; conversationId: string; seq: number; ts: number
}, sym: SymmetricPrimitives = nobleSymmetric): { rf: string; kid: string } {
  const key = keyById(keyring.keys, keyring.currentKid)
  if (!key) throw new NotFoundError('current franking key missing', { resource: 'franking_key', id: keyring.currentKid })
  abytes(key, 'keyring.keys[currentKid]', FRANKING_KEY_BYTES)
  const tf = decodeTf(astring(args.tf, 'tf'))
  astring(args.sender?.userId, 'sender.userId', true)
  astring(args.sender?.deviceId, 'sender.deviceId', true)
  astring(args.conversationId, 'conversationId', true)
  return { rf: toBase64(bindingBytes(key, { ...args, tf }, sym)), kid: keyring.currentKid }
}
