/**
 * Random bytes for at-rest nonces, read from the platform CSPRNG a few KiB at a time. Each
 * read of the OS generator costs a system call (~10 µs on a small VM, as much as the rest of
 * sealing a body), and every server-side message needs a fresh 24-byte nonce; Node pools its
 * `randomUUID` bytes the same way. Bytes are handed out once, copied, and wiped from the pool.
 */
import { randomFillSync } from 'node:crypto'
import type { RandomSource } from '@parley/crypto'

/** Bytes read from the CSPRNG per refill. */
export const NONCE_POOL_BYTES = 4096
/** Requests larger than this bypass the pool (keys and anything unusual read the CSPRNG directly). */
const MAX_POOLED_REQUEST = 64

/** A {@link RandomSource} that serves small requests from a pool refilled by `randomFillSync`. */
export function pooledRandom(poolBytes = NONCE_POOL_BYTES): RandomSource {
  const pool = new Uint8Array(poolBytes)
  let offset = poolBytes
  return (length) => {
    if (length > MAX_POOLED_REQUEST || length > poolBytes) return randomFillSync(new Uint8Array(length))
    if (offset + length > poolBytes) {
      randomFillSync(pool)
      offset = 0
    }
    const out = pool.slice(offset, offset + length)
    pool.fill(0, offset, offset + length)
    offset += length
    return out
  }
}
