/**
 * Rate limit (docs/moderation.md, "Rate limit"): token buckets per sending user and per
 * conversation, checked in `checkEnvelope` so it holds in every mode. Buckets live in
 * `ctx.buckets` (the server store's {@link TokenBucketStore}, shared across nodes); without
 * one the plugin falls back to its own {@link memoryTokenBuckets}, which holds per process.
 */
import type { EnvelopeMeta, HookContext, ModerationPlugin, TokenBucketStore, Verdict } from '@parley/protocol'
import { _action, _name } from '../_options.js'
import { MODERATION_VERSION } from '../version.js'

/** Most buckets the in-memory store keeps before evicting the least recently used. */
export const MAX_MEMORY_BUCKETS = 100_000
/** Default key prefix for buckets in a shared store. */
export const DEFAULT_RATE_LIMIT_PREFIX = 'parley:rl:'

/** A token bucket's shape: up to `capacity` tokens, refilled continuously. */
export interface BucketSpec {
  /** Most tokens (the burst size); a positive integer. */
  capacity: number
  /** Tokens added per second; positive. */
  refillPerSecond: number
}

/** Options of {@link rateLimit}. */
export interface RateLimitOptions {
  /** One bucket per sending user (all of the user's devices). */
  perUser?: BucketSpec
  /** One bucket per conversation. */
  perConversation?: BucketSpec
  /** What an empty bucket does. Default `'block'`. */
  action?: 'block' | 'flag'
  /** Used when `ctx.buckets` is absent. Default: a private {@link memoryTokenBuckets}. */
  fallback?: TokenBucketStore
  /** Key prefix in the shared store. Default {@link DEFAULT_RATE_LIMIT_PREFIX}. */
  keyPrefix?: string
  /** Plugin name. Default `'rate-limit'`. */
  name?: string
}

function checkSpec(spec: BucketSpec | undefined, arg: string): void {
  if (spec === undefined) return
  if (spec === null || typeof spec !== 'object') throw new TypeError(`"${arg}" expected { capacity, refillPerSecond }`)
  if (!Number.isSafeInteger(spec.capacity) || spec.capacity < 1) throw new RangeError(`"${arg}.capacity" expected a positive integer, got ${spec.capacity}`)
  if (typeof spec.refillPerSecond !== 'number' || !(spec.refillPerSecond > 0) || !Number.isFinite(spec.refillPerSecond)) {
    throw new RangeError(`"${arg}.refillPerSecond" expected a positive finite number, got ${spec.refillPerSecond}`)
  }
}

/**
 * An in-memory {@link TokenBucketStore}: exact for one process, bounded to
 * {@link MAX_MEMORY_BUCKETS} keys (least recently used evicted). Time comes only from the
 * `now` argument, so it is deterministic; a clock that goes backwards refills nothing.
 *
 * @example
 * const buckets = memoryTokenBuckets()
 * await buckets.take('k', 2, 1, 0) // true
 */
export function memoryTokenBuckets(maxBuckets: number = MAX_MEMORY_BUCKETS): TokenBucketStore {
  if (!Number.isSafeInteger(maxBuckets) || maxBuckets < 1) throw new RangeError(`"maxBuckets" expected a positive integer, got ${maxBuckets}`)
  const buckets = new Map<string, { tokens: number; at: number }>()
  return {
    async take(key, capacity, refillPerSecond, now) {
      const prev = buckets.get(key)
      let tokens = capacity
      let at = now
      if (prev !== undefined) {
        buckets.delete(key) // re-inserted below: Map order is the LRU order
        const elapsed = Math.max(0, now - prev.at)
        tokens = Math.min(capacity, prev.tokens + (elapsed / 1000) * refillPerSecond)
        at = Math.max(prev.at, now)
      }
      const ok = tokens >= 1
      buckets.set(key, { tokens: ok ? tokens - 1 : tokens, at })
      if (buckets.size > maxBuckets) buckets.delete(buckets.keys().next().value as string)
      return ok
    },
  }
}

/**
 * A metadata plugin that limits messages per user and per conversation with token buckets.
 *
 * @throws {TypeError} when neither `perUser` nor `perConversation` is given.
 * @throws {RangeError} when a bucket's capacity or refill rate is not positive.
 * @example rateLimit({ perUser: { capacity: 20, refillPerSecond: 1 }, perConversation: { capacity: 60, refillPerSecond: 5 } })
 */
export function rateLimit(options: RateLimitOptions): ModerationPlugin {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  checkSpec(options.perUser, 'perUser')
  checkSpec(options.perConversation, 'perConversation')
  if (options.perUser === undefined && options.perConversation === undefined) throw new TypeError('"perUser" or "perConversation" expected')
  const action = _action(options.action ?? 'block')
  const name = _name(options.name, 'rate-limit')
  const prefix = options.keyPrefix ?? DEFAULT_RATE_LIMIT_PREFIX
  if (typeof prefix !== 'string') throw new TypeError('"keyPrefix" expected a string')
  const fallback = options.fallback ?? memoryTokenBuckets()
  const { perUser, perConversation } = options

  return {
    name,
    version: MODERATION_VERSION,
    specificationVersion: 'v1',
    async checkEnvelope(env: EnvelopeMeta, ctx: HookContext): Promise<Verdict> {
      const store = ctx.buckets ?? fallback
      // JSON keeps ids with ':' in them from colliding with each other.
      if (perUser !== undefined && !(await store.take(`${prefix}user:${JSON.stringify(env.sender.userId)}`, perUser.capacity, perUser.refillPerSecond, ctx.now))) {
        return { action, reason: 'user rate limit exceeded' }
      }
      if (
        perConversation !== undefined &&
        !(await store.take(`${prefix}conversation:${JSON.stringify(env.conversationId)}`, perConversation.capacity, perConversation.refillPerSecond, ctx.now))
      ) {
        return { action, reason: 'conversation rate limit exceeded' }
      }
      return { action: 'allow' }
    },
  }
}
