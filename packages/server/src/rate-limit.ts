/**
 * In-process token buckets for per-connection and per-user limits (cheap: no I/O per frame).
 * Limits shared across nodes (reports, plugins) use the store's buckets instead.
 */
import { RateLimitedError } from '@parley/protocol'
import type { BucketLimit } from './options.js'

/** A token bucket refilled continuously. */
export class TokenBucket {
  private tokens: number
  private at: number
  constructor(private readonly limit: BucketLimit, now: number) {
    this.tokens = limit.capacity
    this.at = now
  }
  /** Takes a token, or returns the ms until one is available. */
  take(now: number): number {
    this.tokens = Math.min(this.limit.capacity, this.tokens + (Math.max(0, now - this.at) / 1000) * this.limit.refillPerSecond)
    this.at = now
    if (this.tokens >= 1) {
      this.tokens -= 1
      return 0
    }
    return Math.ceil(((1 - this.tokens) / this.limit.refillPerSecond) * 1000)
  }
}

/**
 * Takes one token from each bucket in turn.
 * @throws {RateLimitedError} naming the scope and `retryAfterMs`.
 */
export function takeOrThrow(buckets: [scope: string, bucket: TokenBucket][], now: number): void {
  for (const [scope, bucket] of buckets) {
    const wait = bucket.take(now)
    if (wait > 0) throw new RateLimitedError(`rate limit exceeded (${scope})`, { scope, retryAfterMs: wait })
  }
}

/**
 * Checks a limit's shape.
 * @throws {RangeError} when capacity or refill is not a positive finite number.
 */
export function checkLimit(name: string, limit: BucketLimit): BucketLimit {
  if (!(limit && Number.isFinite(limit.capacity) && limit.capacity >= 1 && Number.isFinite(limit.refillPerSecond) && limit.refillPerSecond > 0)) {
    throw new RangeError(`"limits.${name}" expected { capacity >= 1, refillPerSecond > 0 }`)
  }
  return limit
}
