/**
 * At-rest sealing for the server: the committing AEAD under a data key, with the key id in
 * the clear and bound into the AD so keys rotate without rewriting old rows. Layout:
 * `version(1) ‖ kidLength(1) ‖ kid ‖ nonce(24) ‖ ciphertext ‖ tag(32)`.
 */
import { BadMacError, NotFoundError } from '@parley/protocol'
import { abytes, astring } from './_assert.js'
import { concat, equalBytes, lp, toBase64, utf8 } from './_bytes.js'
import { AEAD_NONCE_BYTES, AEAD_OVERHEAD_BYTES, deriveEtmKeys, etmOpen, etmSealWithPrefix, type EtmKeys } from './aead.js'
import { LABELS } from './kdf.js'
import { nobleSymmetric } from './provider/_noble-symmetric.js'
import type { SymmetricPrimitives } from './provider/provider.js'
import { systemRandom, type RandomSource } from './random.js'

/** The server's data keys by id; `currentKid` seals new rows. */
export interface DataKeyring {
  currentKid: string
  keys: Record<string, Uint8Array>
}
/** Bytes of a data key. */
export const DATA_KEY_BYTES = 32
/** Longest key id, in UTF-8 bytes. */
export const MAX_KEY_ID_BYTES = 255
const SEAL_VERSION = 1
/** Data keys whose derived subkeys are kept (a server holds a handful: current plus rotated). */
export const MAX_CACHED_DATA_KEYS = 16

// Data keys live for months and seal every server-side message, so the HKDF that splits them
// into encryption and MAC subkeys is done once per key, not per message (~60 µs saved each).
// Keyed by the key bytes, not the array object, so a caller reusing a buffer cannot get stale
// subkeys. Subkeys are as secret as the key itself and live in the same process.
const subkeyCache = new Map<string, EtmKeys>()
/**
 * The last key array seen, with a copy of its bytes: the server passes the same keyring array
 * for every message, so the common lookup is one 32-byte comparison instead of a base64
 * encoding; the copy keeps a caller that rewrites the array in place from getting stale subkeys.
 */
let last: { key: Uint8Array; bytes: Uint8Array; keys: EtmKeys } | undefined
function atRestKeys(dataKey: Uint8Array, sym: SymmetricPrimitives): EtmKeys {
  if (last && last.key === dataKey && equalBytes(last.bytes, dataKey)) return last.keys
  const id = toBase64(dataKey)
  let keys = subkeyCache.get(id)
  if (!keys) {
    keys = deriveEtmKeys(dataKey, LABELS.atRest, sym)
    if (subkeyCache.size >= MAX_CACHED_DATA_KEYS) subkeyCache.delete(subkeyCache.keys().next().value!)
    subkeyCache.set(id, keys)
  }
  last = { key: dataKey, bytes: dataKey.slice(), keys }
  return keys
}

/** A fresh data key. */
export function generateDataKey(random: RandomSource = systemRandom): Uint8Array {
  return random(DATA_KEY_BYTES)
}

function adOf(kid: Uint8Array, aad: Uint8Array): Uint8Array {
  return concat(lp(kid), aad)
}

/**
 * Seals `plaintext` under `dataKey`, tagged with `keyId`; `aad` (e.g. the row id) is bound.
 * `sym` (any provider, e.g. `nodeNativeProvider()`) runs HKDF, HMAC and XChaCha20; the bytes
 * are the same on every provider.
 * @throws {TypeError|RangeError} bad key, key id or inputs.
 */
export function sealAtRest(
  dataKey: Uint8Array, keyId: string, plaintext: Uint8Array, aad: Uint8Array, random: RandomSource = systemRandom,
  sym: SymmetricPrimitives = nobleSymmetric,
): Uint8Array {
  abytes(dataKey, 'dataKey', DATA_KEY_BYTES)
  const kid = utf8(astring(keyId, 'keyId', true))
  if (kid.length > MAX_KEY_ID_BYTES) throw new RangeError(`"keyId" expected at most ${MAX_KEY_ID_BYTES} bytes`)
  abytes(plaintext, 'plaintext')
  abytes(aad, 'aad')
  const nonce = random(AEAD_NONCE_BYTES)
  return etmSealWithPrefix(atRestKeys(dataKey, sym), nonce, plaintext, adOf(kid, aad), concat(new Uint8Array([SEAL_VERSION, kid.length]), kid, nonce), sym)
}

/** The key id a sealed value names (for re-sealing sweeps), or throws BadMacError if malformed. */
export function sealedKeyId(sealed: Uint8Array): string {
  abytes(sealed, 'sealed')
  if (sealed.length < 2 || sealed[0] !== SEAL_VERSION || sealed.length < 2 + sealed[1]!) throw new BadMacError('malformed sealed value')
  return new TextDecoder().decode(sealed.subarray(2, 2 + sealed[1]!))
}

/**
 * Opens a sealed value with the key its id names (`sym` as in {@link sealAtRest}).
 * @throws {NotFoundError} the key id is not in the keyring.
 * @throws {BadMacError} altered, truncated, wrong key or wrong `aad`.
 */
export function openAtRest(keyring: DataKeyring, sealed: Uint8Array, aad: Uint8Array, sym: SymmetricPrimitives = nobleSymmetric): Uint8Array {
  abytes(aad, 'aad')
  const kidText = sealedKeyId(sealed)
  const key = Object.prototype.hasOwnProperty.call(keyring.keys, kidText) ? keyring.keys[kidText] : undefined
  if (!key) throw new NotFoundError('data key not found', { resource: 'data_key', id: kidText })
  abytes(key, `keyring.keys[${kidText}]`, DATA_KEY_BYTES)
  const kid = sealed.subarray(2, 2 + sealed[1]!)
  const body = sealed.subarray(2 + kid.length)
  if (body.length < AEAD_OVERHEAD_BYTES) throw new BadMacError('ciphertext too short')
  return etmOpen(atRestKeys(key, sym), body.subarray(0, AEAD_NONCE_BYTES), body.subarray(AEAD_NONCE_BYTES), adOf(kid, aad), sym)
}
