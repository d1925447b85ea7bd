/**
 * The noble provider: every primitive in pure JS (@noble/curves, @noble/hashes,
 * @noble/ciphers, @noble/post-quantum). The reference the native providers are checked
 * against, and the default everywhere.
 */
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { abytes } from '../_assert.js'
import { KEM_CIPHERTEXT_BYTES, KEM_PUBLIC_KEY_BYTES, KEM_SECRET_KEY_BYTES } from '../constants.js'
import { verifyEd25519Strict } from '../ed25519-rule.js'
import { kemDecapsulate } from '../pqxdh/kem-cache.js'
import { nobleChaCha20Poly1305Open, nobleChaCha20Poly1305Seal, nobleHkdfSha256, nobleHmacSha256, nobleXChaCha20 } from './_noble-symmetric.js'
import type { CryptoProvider, KemEncapsulation } from './provider.js'

/**
 * FIPS 203 encapsulation on noble (with `m`: ML-KEM.Encaps_internal, deterministic).
 * @throws {RangeError} not a 1,184-byte key, or a coefficient ≥ q (the modulus check).
 */
export function nobleKemEncapsulate(publicKey: Uint8Array, m?: Uint8Array): KemEncapsulation {
  abytes(publicKey, 'publicKey', KEM_PUBLIC_KEY_BYTES)
  if (m !== undefined) abytes(m, 'm', 32)
  try {
    return ml_kem768.encapsulate(publicKey, m)
  } catch (e) {
    throw new RangeError('"publicKey" is not a valid ML-KEM-768 encapsulation key (modulus check)', { cause: e })
  }
}

/**
 * FIPS 203 decapsulation on noble, with the key's hash check.
 * @throws {RangeError} wrong lengths, or a decapsulation key whose H(ek) does not match.
 */
export function nobleKemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array, reused = false): Uint8Array {
  abytes(cipherText, 'cipherText', KEM_CIPHERTEXT_BYTES)
  abytes(secretKey, 'secretKey', KEM_SECRET_KEY_BYTES)
  try {
    return kemDecapsulate(cipherText, secretKey, reused)
  } catch (e) {
    throw new RangeError('"secretKey" is not a valid ML-KEM-768 decapsulation key (hash check)', { cause: e })
  }
}

/** Pure noble: the reference, and the default everywhere. */
export const nobleProvider: CryptoProvider = Object.freeze({
  name: 'noble',
  accelerated: Object.freeze([]),
  x25519PublicKey: (secretKey: Uint8Array) => x25519.getPublicKey(secretKey),
  x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => {
    abytes(secretKey, 'secretKey', 32)
    abytes(publicKey, 'publicKey', 32)
    try {
      return x25519.getSharedSecret(secretKey, publicKey)
    } catch (e) {
      throw new RangeError('"publicKey" is a small-order or invalid X25519 point', { cause: e })
    }
  },
  ed25519PublicKey: (secretKey: Uint8Array) => ed25519.getPublicKey(secretKey),
  ed25519Sign: (secretKey: Uint8Array, message: Uint8Array) => ed25519.sign(message, secretKey),
  ed25519Verify: verifyEd25519Strict,
  mlKem768Encapsulate: nobleKemEncapsulate,
  mlKem768Decapsulate: nobleKemDecapsulate,
  hmacSha256: nobleHmacSha256,
  hkdfSha256: nobleHkdfSha256,
  xchacha20: nobleXChaCha20,
  chacha20Poly1305Seal: nobleChaCha20Poly1305Seal,
  chacha20Poly1305Open: nobleChaCha20Poly1305Open,
})
