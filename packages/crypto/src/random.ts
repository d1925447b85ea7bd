/**
 * The randomness seam. Every function that draws randomness takes an optional
 * {@link RandomSource}; production uses the platform CSPRNG, tests inject a seeded ChaCha20
 * DRBG so Parley's fixed vectors (PQXDH, ratchet, franking) are reproducible byte for byte.
 */
import { rngChacha20 } from '@noble/ciphers/chacha.js'
import { randomBytes } from '@noble/hashes/utils.js'
import { abytes } from './_assert.js'

/** Returns `length` random bytes. */
export type RandomSource = (length: number) => Uint8Array

/** The platform CSPRNG (`crypto.getRandomValues`). */
export const systemRandom: RandomSource = (length) => randomBytes(length)

/**
 * A deterministic ChaCha20 DRBG for tests and vectors. Never use it for real keys.
 * @example
 * const rng = seededRandom(new Uint8Array(32).fill(7))
 * const a = rng(32) // the same bytes on every run
 */
export function seededRandom(seed: Uint8Array): RandomSource {
  abytes(seed, 'seed', 32)
  const prg = rngChacha20(seed)
  return (length) => prg.randomBytes(length)
}
