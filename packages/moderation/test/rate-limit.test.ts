import { describe, expect, it } from 'vitest'
import type { TokenBucketStore } from '@parley/protocol'
import { createPipeline, memoryTokenBuckets, rateLimit } from '../src/index.js'
import { ctx, envelope } from './fixtures.js'

describe('memoryTokenBuckets', () => {
  it('allows a burst of capacity, then refills at the given rate', async () => {
    const b = memoryTokenBuckets()
    const takes = []
    for (let i = 0; i < 4; i++) takes.push(await b.take('k', 3, 2, 0))
    expect(takes).toEqual([true, true, true, false])
    expect(await b.take('k', 3, 2, 499)).toBe(false) // 0.998 tokens
    expect(await b.take('k', 3, 2, 500)).toBe(true) // 1 token after 0.5 s at 2/s
    expect(await b.take('k', 3, 2, 500)).toBe(false)
    // Long idle refills only up to capacity.
    expect(await Promise.all([0, 0, 0, 0].map(() => b.take('k', 3, 2, 100_000)))).toEqual([true, true, true, false])
  })

  it('keeps keys apart and ignores a clock that goes backwards', async () => {
    const b = memoryTokenBuckets()
    expect(await b.take('a', 1, 1, 10_000)).toBe(true)
    expect(await b.take('b', 1, 1, 10_000)).toBe(true)
    expect(await b.take('a', 1, 1, 0)).toBe(false)
    expect(await b.take('a', 1, 1, 10_999)).toBe(false)
    expect(await b.take('a', 1, 1, 11_000)).toBe(true)
  })

  it('evicts the least recently used key past its bound', async () => {
    const b = memoryTokenBuckets(2)
    await b.take('a', 1, 0.001, 0)
    await b.take('b', 1, 0.001, 0)
    await b.take('a', 1, 0.001, 0) // a is now most recent (and empty)
    await b.take('c', 1, 0.001, 0) // evicts b
    expect(await b.take('b', 1, 0.001, 0)).toBe(true) // fresh bucket
    expect(await b.take('a', 1, 0.001, 0)).toBe(true) // a was evicted by b's re-insert
  })
})

describe('rateLimit', () => {
  it('blocks a user past the per-user bucket in checkEnvelope', async () => {
    const p = createPipeline({ plugins: [rateLimit({ perUser: { capacity: 2, refillPerSecond: 1 } })] })
    const verdicts = []
    for (let i = 0; i < 3; i++) verdicts.push((await p.checkEnvelope(envelope(), ctx({ now: 0 }))).action)
    expect(verdicts).toEqual(['allow', 'allow', 'block'])
    expect(await p.checkEnvelope(envelope(), ctx({ now: 0 }))).toMatchObject({ plugin: 'rate-limit', reason: 'user rate limit exceeded' })
    // Another user is unaffected; time refills.
    expect((await p.checkEnvelope(envelope({ sender: { userId: 'bob', deviceId: 'x' } }), ctx({ now: 0 }))).action).toBe('allow')
    expect((await p.checkEnvelope(envelope(), ctx({ now: 1_000 }))).action).toBe('allow')
  })

  it('counts all devices of a user together, and limits conversations separately', async () => {
    const p = createPipeline({ plugins: [rateLimit({ perUser: { capacity: 10, refillPerSecond: 1 }, perConversation: { capacity: 2, refillPerSecond: 1 }, action: 'flag' })] })
    const a = await p.checkEnvelope(envelope({ sender: { userId: 'alice', deviceId: 'd1' } }), ctx({ now: 0 }))
    const b = await p.checkEnvelope(envelope({ sender: { userId: 'alice', deviceId: 'd2' } }), ctx({ now: 0 }))
    const c = await p.checkEnvelope(envelope({ sender: { userId: 'bob', deviceId: 'd9' } }), ctx({ now: 0 }))
    expect([a.action, b.action, c.action]).toEqual(['allow', 'allow', 'flag'])
    expect(c).toMatchObject({ reason: 'conversation rate limit exceeded' })
    expect((await p.checkEnvelope(envelope({ conversationId: 'c2' }), ctx({ now: 0 }))).action).toBe('allow')
  })

  it('uses ctx.buckets when the server provides them (shared across nodes)', async () => {
    const shared = memoryTokenBuckets()
    const keys: string[] = []
    const store: TokenBucketStore = { take: (k, c, r, n) => (keys.push(k), shared.take(k, c, r, n)) }
    // Two "nodes": two pipelines, two plugin instances, one store.
    const nodeA = createPipeline({ plugins: [rateLimit({ perUser: { capacity: 2, refillPerSecond: 1 } })] })
    const nodeB = createPipeline({ plugins: [rateLimit({ perUser: { capacity: 2, refillPerSecond: 1 } })] })
    expect((await nodeA.checkEnvelope(envelope(), ctx({ now: 0, buckets: store }))).action).toBe('allow')
    expect((await nodeB.checkEnvelope(envelope(), ctx({ now: 0, buckets: store }))).action).toBe('allow')
    expect((await nodeA.checkEnvelope(envelope(), ctx({ now: 0, buckets: store }))).action).toBe('block')
    expect(keys).toEqual(['parley:rl:user:"alice"', 'parley:rl:user:"alice"', 'parley:rl:user:"alice"'])
  })

  it('fails closed when the shared store throws', async () => {
    const errors: unknown[] = []
    const p = createPipeline({ plugins: [rateLimit({ perUser: { capacity: 2, refillPerSecond: 1 } })], onError: (e) => errors.push(e) })
    const broken: TokenBucketStore = { take: async () => { throw new Error('redis down') } }
    expect(await p.checkEnvelope(envelope(), ctx({ buckets: broken }))).toMatchObject({ action: 'block', reason: 'plugin failed' })
    expect(errors).toHaveLength(1)
  })

  it('rejects bad bucket specs', () => {
    expect(() => rateLimit({})).toThrow(TypeError)
    expect(() => rateLimit({ perUser: { capacity: 0, refillPerSecond: 1 } })).toThrow(RangeError)
    expect(() => rateLimit({ perConversation: { capacity: 1, refillPerSecond: 0 } })).toThrow(/refillPerSecond/)
  })
})
