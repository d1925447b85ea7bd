/**
 * The symmetric primitives on noble: HMAC-SHA256 (RFC 2104), HKDF-SHA256 (RFC 5869),
 * XChaCha20 (draft-irtf-cfrg-xchacha §2.3, block counter 0) and ChaCha20-Poly1305 (RFC 8439). The reference every native
 * provider is cross-checked against.
 */
import { chacha20poly1305, xchacha20 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { abytes } from '../_assert.js'
import type { SymmetricPrimitives } from './provider.js'

/** Longest HKDF-SHA256 output (RFC 5869 §2.3: 255 × HashLen). */
export const MAX_HKDF_SHA256_BYTES = 255 * 32

/**
 * Checks an HKDF output length (one rule and one error for every provider).
 * @throws {RangeError} outside [0, MAX_HKDF_SHA256_BYTES].
 */
export function ahkdfLength(length: number): number {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_HKDF_SHA256_BYTES)
    throw new RangeError(`"length" expected an integer in [0, ${MAX_HKDF_SHA256_BYTES}], got ${length}`)
  return length
}

/** HMAC-SHA256 over `parts`, streamed. */
export function nobleHmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const mac = hmac.create(sha256, key)
  for (const p of parts) mac.update(p)
  return mac.digest()
}

/** HKDF-SHA256; `salt` undefined is 32 zero bytes. */
export function nobleHkdfSha256(ikm: Uint8Array, salt: Uint8Array | undefined, info: Uint8Array, length: number): Uint8Array {
  ahkdfLength(length)
  return length === 0 ? new Uint8Array(0) : hkdf(sha256, ikm, salt, info, length)
}

/** XChaCha20 with its input on a 4-byte boundary: noble's unaligned path is ~40% slower. */
export function nobleXChaCha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array): Uint8Array {
  abytes(key, 'key', 32)
  abytes(nonce, 'nonce', 24)
  return xchacha20(key, nonce, data.byteOffset % 4 === 0 ? data : data.slice())
}

/** Bytes of a ChaCha20-Poly1305 nonce (RFC 8439). */
export const CHACHA20_POLY1305_NONCE_BYTES = 12
/** Bytes of a Poly1305 tag. */
export const POLY1305_TAG_BYTES = 16

/** ChaCha20-Poly1305 encryption: `ciphertext ‖ tag`. */
export function nobleChaCha20Poly1305Seal(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, ad: Uint8Array): Uint8Array {
  abytes(key, 'key', 32)
  abytes(nonce, 'nonce', CHACHA20_POLY1305_NONCE_BYTES)
  return chacha20poly1305(key, nonce, ad).encrypt(plaintext)
}

/** ChaCha20-Poly1305 decryption; null when the tag fails. */
export function nobleChaCha20Poly1305Open(key: Uint8Array, nonce: Uint8Array, sealed: Uint8Array, ad: Uint8Array): Uint8Array | null {
  abytes(key, 'key', 32)
  abytes(nonce, 'nonce', CHACHA20_POLY1305_NONCE_BYTES)
  abytes(sealed, 'sealed')
  if (sealed.length < POLY1305_TAG_BYTES) return null
  try {
    return chacha20poly1305(key, nonce, ad).decrypt(sealed)
  } catch {
    return null
  }
}

/** The noble symmetric primitives as a {@link SymmetricPrimitives}. */
export const nobleSymmetric: SymmetricPrimitives = Object.freeze({
  hmacSha256: nobleHmacSha256,
  hkdfSha256: nobleHkdfSha256,
  xchacha20: nobleXChaCha20,
  chacha20Poly1305Seal: nobleChaCha20Poly1305Seal,
  chacha20Poly1305Open: nobleChaCha20Poly1305Open,
})
