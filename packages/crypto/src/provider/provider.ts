/**
 * The provider seam: X25519 and Ed25519 behind one small interface, so the slow public-key
 * operations can run on platform code while everything else (ML-KEM, HMAC, HKDF, XChaCha20)
 * stays on noble. {@link nobleProvider} is the pure-JS reference and the default.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'

/** A value or a promise of it: native providers may be async (WebCrypto). */
export type Awaitable<T> = T | Promise<T>

/** X25519 (RFC 7748) and Ed25519 (RFC 8032) operations on raw 32-byte keys. */
export interface CryptoProvider {
  /** Short name for logs and benchmarks: `noble`, `node`, `webcrypto`. */
  readonly name: string
  /** X25519 public key of a 32-byte secret. */
  x25519PublicKey(secretKey: Uint8Array): Awaitable<Uint8Array>
  /** X25519 shared secret. Rejects an all-zero result (small-order peer key) with RangeError. */
  x25519(secretKey: Uint8Array, publicKey: Uint8Array): Awaitable<Uint8Array>
  /** Ed25519 public key of a 32-byte secret seed. */
  ed25519PublicKey(secretKey: Uint8Array): Awaitable<Uint8Array>
  /** Ed25519 signature (64 bytes). */
  ed25519Sign(secretKey: Uint8Array, message: Uint8Array): Awaitable<Uint8Array>
  /** Ed25519 verification; false (never a throw) for any malformed input. */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Awaitable<boolean>
}

/** Pure noble: the reference, and the default everywhere. */
export const nobleProvider: CryptoProvider = Object.freeze({
  name: 'noble',
  x25519PublicKey: (secretKey: Uint8Array) => x25519.getPublicKey(secretKey),
  x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => {
    try {
      return x25519.getSharedSecret(secretKey, publicKey)
    } catch {
      throw new RangeError('"publicKey" is a small-order or invalid X25519 point')
    }
  },
  ed25519PublicKey: (secretKey: Uint8Array) => ed25519.getPublicKey(secretKey),
  ed25519Sign: (secretKey: Uint8Array, message: Uint8Array) => ed25519.sign(message, secretKey),
  ed25519Verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
    try {
      return ed25519.verify(signature, message, publicKey)
    } catch {
      return false
    }
  },
})
