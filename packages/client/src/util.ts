/** Small helpers: random ids, UTF-8, a promise mutex, the transient-failure test. */
import { ConnectionError, TimeoutError } from '@parley/protocol'

/** Ids draw their random bytes from a pool refilled this many bytes at a time (one system call per ~340 ids, not one per id). */
export const RANDOM_ID_POOL_BYTES = 4096

let pool = new Uint8Array(0)
let poolAt = 0
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** A random id in the protocol's id alphabet, with an optional prefix. Ids are unique, not secret; each pooled byte is used once. */
export function randomId(prefix = '', bytes = 12): string {
  if (poolAt + bytes > pool.length) {
    pool = new Uint8Array(Math.max(RANDOM_ID_POOL_BYTES, bytes))
    globalThis.crypto.getRandomValues(pool)
    poolAt = 0
  }
  let out = prefix
  for (let i = poolAt; i < poolAt + bytes; i++) out += HEX[pool[i]!]
  poolAt += bytes
  return out
}

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })
export const utf8 = (s: string) => encoder.encode(s)
export const fromUtf8 = (b: Uint8Array) => decoder.decode(b)

/** Runs async critical sections one at a time, in call order. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve()
  run<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.tail.then(fn, fn)
    this.tail = next.catch(() => {})
    return next
  }
}

/** A failure a reconnect may cure (a dropped connection, an ack that timed out): retried or kept, not reported as final. */
export const isTransient = (e: unknown): boolean => ConnectionError.isInstance(e) || TimeoutError.isInstance(e)
