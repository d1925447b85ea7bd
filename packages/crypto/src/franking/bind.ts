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

/** The bound value, as bytes. */
export function bindingBytes(
  key: Uint8Array, a: { tf: Uint8Array; sender: DeviceAddress; conversationId: string; seq: number; ts: number }, sym: SymmetricPrimitives = nobleSymmetric,
): Uint8Array {
  return hmacSha256(key, concat(
    label(LABELS.frankingBind), a.tf, lp(a.sender.userId), lp(a.sender.deviceId), lp(a.conversationId), u64be(a.seq), u64be(a.ts),
  ), sym)
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
  const tf = fromBase64(astring(args.tf, 'tf'))
  if (tf.length !== 32) throw new RangeError('"tf" expected base64 of 32 bytes')
  astring(args.sender?.userId, 'sender.userId', true)
  astring(args.sender?.deviceId, 'sender.deviceId', true)
  astring(args.conversationId, 'conversationId', true)
  return { rf: toBase64(bindingBytes(key, { ...args, tf }, sym)), kid: keyring.currentKid }
}
