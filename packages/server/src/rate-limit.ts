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
  /**
   * Takes `cost` tokens (1 by default; a costly frame weighs more), or returns the ms until
   * that many are available. A cost above the capacity is never available.
   */
  take(now: number, cost = 1): number {
    this.tokens = Math.min(this.limit.capacity, this.tokens + (Math.max(0, now - this.at) / 1000) * this.limit.refillPerSecond)
    this.at = now
    if (this.tokens >= cost) {
      this.tokens -= cost
      return 0
    }
    return cost > this.limit.capacity ? Number.MAX_SAFE_INTEGER : Math.ceil(((cost - this.tokens) / this.limit.refillPerSecond) * 1000)
  }
}

/**
 * Takes `cost` tokens (default 1) from each bucket in turn.
 * @throws {RateLimitedError} naming the scope and `retryAfterMs`.
 */
export function takeOrThrow(buckets: [scope: string, bucket: TokenBucket][], now: number, cost = 1): void {
  for (const [scope, bucket] of buckets) {
    const wait = bucket.take(now, cost)
    if (wait > 0) throw new RateLimitedError(`rate limit exceeded (${scope})`, { scope, retryAfterMs: wait })
  }
}

/**
 * Checks a limit's shape.
 * @throws {RangeError} when capacity or refill is not a positive finite number.
 */
export function checkLimit(name: string, limit: BucketLimit, minCapacity = 1): BucketLimit {
  if (!(limit && Number.isFinite(limit.capacity) && limit.capacity >= minCapacity && Number.isFinite(limit.refillPerSecond) && limit.refillPerSecond > 0)) {
    throw new RangeError(`"limits.${name}" expected { capacity >= ${minCapacity}, refillPerSecond > 0 }`)
  }
  return limit
}
