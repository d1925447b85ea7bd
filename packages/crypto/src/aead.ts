/**
 * Key-committing AEAD: XChaCha20 (draft-irtf-cfrg-xchacha) encrypt-then-MAC with a full
 * 32-byte HMAC-SHA256 tag; the encryption and MAC keys are separate HKDF-SHA256 outputs of
 * the one AEAD key. Because HMAC-SHA256 is collision resistant and the MAC key is derived from
 * the AEAD key, one ciphertext opens under one key only (no "Invisible Salamanders", unlike
 * Poly1305 or GCM tags). Sealed layout: `nonce(24) ‖ ciphertext ‖ tag(32)`.
 */
import { BadMacError } from '@parley/protocol'
import { abytes } from './_assert.js'
import { equalBytes, u64be } from './_bytes.js'
import { hkdfSha256, LABELS } from './kdf.js'
import { nobleSymmetric } from './provider/_noble-symmetric.js'
import type { SymmetricPrimitives } from './provider/provider.js'
import { systemRandom, type RandomSource } from './random.js'

/** Bytes of an AEAD key. */
export const AEAD_KEY_BYTES = 32
/** Bytes of the XChaCha20 nonce. */
export const AEAD_NONCE_BYTES = 24
/** Bytes of the HMAC-SHA256 tag (never truncated). */
export const AEAD_TAG_BYTES = 32
/** Ciphertext expansion of {@link aeadEncrypt}: nonce plus tag. */
export const AEAD_OVERHEAD_BYTES = AEAD_NONCE_BYTES + AEAD_TAG_BYTES

const EMPTY = new Uint8Array(0)

/** Encryption and MAC subkeys. */
export interface EtmKeys {
  encKey: Uint8Array
  macKey: Uint8Array
}

/** Derives the two subkeys of an AEAD key under a purpose label. */
export function deriveEtmKeys(key: Uint8Array, info: string = LABELS.aead, sym: SymmetricPrimitives = nobleSymmetric): EtmKeys {
  const okm = hkdfSha256(key, undefined, info, 64, sym)
  return { encKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64) }
}

function tagOf(macKey: Uint8Array, nonce: Uint8Array, ad: Uint8Array, ct: Uint8Array, sym: SymmetricPrimitives): Uint8Array {
  // The AD is length-prefixed and the nonce fixed-size, so the MAC input parses one way only.
  // Streamed into the MAC: the same bytes as HMAC(macKey, len ‖ ad ‖ nonce ‖ ct), no copy.
  return sym.hmacSha256(macKey, u64be(ad.length), ad, nonce, ct)
}

/** Encrypt-then-MAC with explicit subkeys and nonce. Returns `ciphertext ‖ tag`. */
export function etmSeal(keys: EtmKeys, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, sym: SymmetricPrimitives = nobleSymmetric): Uint8Array {
  return etmSealWithPrefix(keys, nonce, plaintext, ad, EMPTY, sym)
}

/**
 * {@link etmSeal} into one buffer `prefix ‖ ciphertext ‖ tag`, so a framed message costs one
 * copy of the ciphertext rather than one per layer of framing.
 */
export function etmSealWithPrefix(
  keys: EtmKeys, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, prefix: Uint8Array, sym: SymmetricPrimitives = nobleSymmetric,
): Uint8Array {
  const ct = sym.xchacha20(keys.encKey, nonce, plaintext)
  const tag = tagOf(keys.macKey, nonce, ad, ct, sym)
  const out = new Uint8Array(prefix.length + ct.length + AEAD_TAG_BYTES)
  out.set(prefix, 0)
  out.set(ct, prefix.length)
  out.set(tag, prefix.length + ct.length)
  return out
}

/**
 * {@link etmSeal} written into `out` from `at` (`ciphertext ‖ tag`, `plaintext.length` + 32
 * bytes) instead of a buffer of its own, so a stream sealing into one reused buffer allocates
 * nothing per chunk beyond the cipher's output. Returns the offset after the tag.
 * @throws {RangeError} when `out` has no room for it from `at`.
 */
export function etmSealInto(
  keys: EtmKeys, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array, out: Uint8Array, at: number, sym: SymmetricPrimitives = nobleSymmetric,
): number {
  const end = at + plaintext.length + AEAD_TAG_BYTES
  if (!Number.isSafeInteger(at) || at < 0 || end > out.length) throw new RangeError(`"out" expected room for ${end - at} bytes at ${at}, has length=${out.length}`)
  const ct = sym.xchacha20(keys.encKey, nonce, plaintext)
  out.set(ct, at)
  out.set(tagOf(keys.macKey, nonce, ad, ct, sym), at + ct.length)
  return end
}

/**
 * Opens `ciphertext ‖ tag`; the tag is checked (constant time) before anything is decrypted.
 * @throws {BadMacError} when the tag does not match.
 */
export function etmOpen(keys: EtmKeys, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array, sym: SymmetricPrimitives = nobleSymmetric): Uint8Array {
  if (sealed.length < AEAD_TAG_BYTES) throw new BadMacError('ciphertext shorter than its tag')
  const ct = sealed.subarray(0, sealed.length - AEAD_TAG_BYTES)
  const tag = sealed.subarray(sealed.length - AEAD_TAG_BYTES)
  if (!equalBytes(tagOf(keys.macKey, nonce, ad, ct, sym), tag)) throw new BadMacError()
  return sym.xchacha20(keys.encKey, nonce, ct)
}

/** {@link aeadEncrypt} with an explicit purpose label and randomness (internal seam). */
export function sealWithLabel(
  key: Uint8Array, info: string, plaintext: Uint8Array, ad: Uint8Array, random: RandomSource = systemRandom,
): Uint8Array {
  const nonce = random(AEAD_NONCE_BYTES)
  return etmSealWithPrefix(deriveEtmKeys(key, info), nonce, plaintext, ad, nonce)
}

/** {@link aeadDecrypt} with an explicit purpose label (internal seam). */
export function openWithLabel(key: Uint8Array, info: string, sealed: Uint8Array, ad: Uint8Array): Uint8Array {
  if (sealed.length < AEAD_OVERHEAD_BYTES) throw new BadMacError('ciphertext too short')
  return etmOpen(deriveEtmKeys(key, info), sealed.subarray(0, AEAD_NONCE_BYTES), sealed.subarray(AEAD_NONCE_BYTES), ad)
}

/**
 * Encrypts with the committing AEAD under a random 24-byte nonce.
 * @returns `nonce(24) ‖ ciphertext ‖ tag(32)`.
 * @throws {TypeError|RangeError} when `key` is not 32 bytes or inputs are not bytes.
 * @example
 * const sealed = aeadEncrypt(key, utf8('hi'), ad)
 * aeadDecrypt(key, sealed, ad) // → 'hi' bytes
 */
export function aeadEncrypt(key: Uint8Array, plaintext: Uint8Array, ad?: Uint8Array, random?: RandomSource): Uint8Array {
  abytes(key, 'key', AEAD_KEY_BYTES)
  abytes(plaintext, 'plaintext')
  if (ad !== undefined) abytes(ad, 'ad')
  return sealWithLabel(key, LABELS.aead, plaintext, ad ?? EMPTY, random)
}

/**
 * Decrypts {@link aeadEncrypt} output.
 * @throws {BadMacError} on any tag mismatch (wrong key, wrong AD, altered bytes).
 */
export function aeadDecrypt(key: Uint8Array, sealed: Uint8Array, ad?: Uint8Array): Uint8Array {
  abytes(key, 'key', AEAD_KEY_BYTES)
  abytes(sealed, 'sealed')
  if (ad !== undefined) abytes(ad, 'ad')
  return openWithLabel(key, LABELS.aead, sealed, ad ?? EMPTY)
}
