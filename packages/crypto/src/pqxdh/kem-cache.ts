/**
 * ML-KEM-768 decapsulation with the responder's last-resort KEM prekey prepared once: noble's
 * `prepare()` expands the public matrix Â (the K² SHAKE128 samplings) and hashes ek a single
 * time, so each later decapsulation skips that work (about 40% of a decapsulation). Only a
 * last-resort key is used more than once; one-time keys go through the plain path. The cache
 * holds public data only (ek, H(ek), Â, t̂), keyed by the H(ek) stored inside the secret key.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { MAX_PREPARED_KEM_KEYS } from '../constants.js'
import { cacheId, KeyCache } from '../provider/_key-cache.js'

type Prepared = { decapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array }

// FIPS 203 decapsulation key layout: dkPKE(1152) ‖ ek(1184) ‖ H(ek)(32) ‖ z(32).
const EK_START = 1152
const EK_END = EK_START + 1184
const HASH_END = EK_END + 32

const prepared = new KeyCache<Prepared | null>(MAX_PREPARED_KEM_KEYS)

/**
 * The ML-KEM shared secret of `cipherText` under `secretKey`: the same value as
 * `ml_kem768.decapsulate`. With `reused` (a last-resort key) the prepared form is cached.
 * @throws {Error} from noble, for a malformed key or ciphertext (as the plain call).
 */
export function kemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array, reused: boolean): Uint8Array {
  if (!reused || secretKey.length !== HASH_END + 32) return ml_kem768.decapsulate(cipherText, secretKey)
  const id = cacheId(secretKey.subarray(EK_END, HASH_END))
  const p = prepared.get(id, () => {
    try {
      return ml_kem768.prepare(secretKey.subarray(EK_START, EK_END))
    } catch {
      return null // an ek that fails the modulus check: the plain path reports it
    }
  })
  if (p) {
    try {
      return p.decapsulate(cipherText, secretKey)
    } catch {
      // The stored H(ek) names a prepared key this secret key does not match: plain path.
    }
  }
  return ml_kem768.decapsulate(cipherText, secretKey)
}
