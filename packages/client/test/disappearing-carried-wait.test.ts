/**
 * A carried disappearing pin that waits (decision 0025 §2; review of 2026-12-03 M1, M2, L3) on a
 * bare key store with a scripted server, the reviewer's repros made tests. The carried v5 (bob's)
 * waits while the server offers bob's genuine but older v1: (M1) the device-list fetch answers
 * with nothing — no key is no verdict, so v5 waits and v1 is not pinned; (M2) v1 arrives as a
 * live frame before the first sync, or the sync's conversation list fails — v1 is not pinned
 * either, and a live setting above v5 still is (a waiting pin freezes nothing). L3: an untimed
 * message logged while v5 waits expires by v5 once it settles. L2: a message's expiry is found
 * by its seq (the index `load()` builds for a store written before it). End-to-end: packages/tests
 * backup/disappearing-pins-carried.
 */
import { describe, expect, it } from 'vitest'
import { generateDeviceIdentity, signDisappearing } from '@parley/crypto'
import type { DisappearingSetting } from '@parley/protocol'
import { memoryKeyStore } from '../src/key-store/memory.js'
import type { JsonValue } from '../src/key-store/key-store.js'
import { DisappearingTimers } from '../src/disappearing/timers.js'
import { expiryIndexKey, expiryKey, recordedExpiry } from '../src/disappearing/expiry-keys.js'
import { CARRIED_PIN_PREFIX, carriedPinKey } from '../src/disappearing/carried-pins.js'

const conv = 'c1'
const bob = generateDeviceIdentity('b1')
const me = generateDeviceIdentity('a3')
const setting = (version: number, ms: number): DisappearingSetting =>
  signDisappearing(bob, { conversationId: conv, ms, version, userId: 'bob', deviceId: 'b1', ts: version })
const v1 = setting(1, 3_600_000)
const v5 = setting(5, 300_000)

type Listed = () => Promise<{ signingKey: string } | undefined>
function world(opts: { listed: Listed; list?: () => Promise<unknown> }) {
  const store = memoryKeyStore()
  const errors: string[] = []
  const handlers = new Map<string, (m: unknown) => void>()
  let now = 1_000_000
  const core = {
    store, now: () => now, lock: { run: <T>(f: () => Promise<T>) => f() },
    events: { on: (e: string, f: (m: unknown) => void) => handlers.set(e, f), emit() {} },
    self: () => ({ userId: 'alice', deviceId: 'a3', device: me }),
    reportError: (p: { error: { code: string; details?: { reason?: string } } }) => errors.push(`${p.error.code}:${p.error.details?.reason ?? ''}`),
    conn: { request: async () => (opts.list ? opts.list() : { conversations: [{ id: conv, disappearing: v1 }] }) },
  }
  const conversation = { id: conv, members: ['alice', 'bob'], _emit() {} }
  let fetches = 0
  const deps = {
    conversation: () => conversation, applyInfo: async () => conversation, forgetSearch() {},
    listedDevice: () => (fetches++, opts.listed()),
  }
  const timers = new DisappearingTimers(core as never, deps as never)
  return {
    store, errors, timers, fetches: () => fetches, advance: (ms: number) => (now += ms), now: () => now,
    log: (seq: number, disappearingMs?: number) => handlers.get('message')!({ id: `m${seq}`, conversationId: conv, seq, status: 'delivered', ...(disappearingMs ? { disappearingMs } : {}) }),
    carry: () => store.set(carriedPinKey(conv), { setting: v5 } as unknown as JsonValue),
  }
}
const bobKey: Listed = async () => ({ signingKey: bob.signing.publicKey })
const settled = (t: DisappearingTimers) => (t as unknown as { accepting: Promise<unknown> }).accepting.catch(() => undefined)

describe('a waiting carried disappearing pin', () => {
  it('M1: a device-list answer with nothing is no verdict: the carried v5 waits, the offered v1 is not pinned', async () => {
    let empty = true
    const w = world({ listed: async () => (empty ? undefined : bobKey()) })
    await w.carry()
    await w.timers.load()
    await w.timers.sync()
    expect(w.fetches()).toBeGreaterThanOrEqual(1) // control: the empty answer reached the check
    expect(w.errors).toEqual(['not_found:'])
    expect(w.timers.timerOf(conv)).toBeNull()
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toHaveLength(1)
    empty = false // the next connect's fetch answers
    await w.timers.sync()
    expect(w.timers.timerOf(conv)).toBe(300_000)
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toEqual([])
  })

  it('M1: a carried pin that a listed key does not verify is refused and dropped', async () => {
    const w = world({ listed: async () => ({ signingKey: generateDeviceIdentity('b9').signing.publicKey }) })
    await w.carry()
    await w.timers.load()
    await w.timers.sync()
    expect(w.errors[0]).toBe('disappearing_rejected:bad_signature')
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toEqual([])
  })

  it('a malformed carried pin settles as nothing: it is dropped and holds nothing back', async () => {
    const w = world({ listed: bobKey })
    await w.store.set(carriedPinKey(conv), { setting: { ...v5, version: 'five' } } as unknown as JsonValue)
    await w.timers.load()
    await w.timers.sync()
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toEqual([])
    expect(w.timers.timerOf(conv)).toBe(3_600_000) // the server's v1: nothing verified stood above it
  })

  it('M2: an old live frame pushed before the first sync is not pinned while v5 waits', async () => {
    const w = world({ listed: async () => { throw Object.assign(new Error('timeout'), { code: 'timeout' }) } })
    await w.carry()
    await w.timers.load()
    w.timers.onEvent(v1) // right after hello, before sync
    await settled(w.timers)
    expect(w.fetches()).toBe(0) // not even checked: at or below the carried version
    await w.timers.sync()
    w.timers.onEvent(v1) // and again after a sync whose check failed
    await settled(w.timers)
    expect(w.timers.timerOf(conv)).toBeNull()
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toHaveLength(1)
  })

  it('M2: with the conversation list failed, a live v1 is not pinned; a live v6 is (it supersedes the carried pin)', async () => {
    const w = world({ listed: bobKey, list: async () => { throw Object.assign(new Error('refused'), { code: 'internal' }) } })
    await w.carry()
    await w.timers.load()
    await expect(w.timers.sync()).rejects.toThrow('refused') // control: the failure reached the device
    w.timers.onEvent(v1)
    await settled(w.timers)
    expect(w.timers.timerOf(conv)).toBeNull()
    w.log(7) // untimed, while v5 waits
    w.timers.onEvent(setting(6, 120_000))
    await settled(w.timers)
    expect(w.timers.timerOf(conv)).toBe(120_000)
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toEqual([]) // superseded: settled at once
    expect(await recordedExpiry(w.store, conv, 7)).toBe(w.now() + 120_000)
    w.timers.stop()
  })

  it('L3: an untimed message logged while the carried pin waits expires by it once it settles; L2: found by its seq', async () => {
    let listed = false
    const w = world({ listed: async () => (listed ? bobKey() : undefined) })
    await w.carry()
    await w.timers.load()
    await w.timers.sync() // v5 waits
    w.log(7)
    await settled(w.timers)
    expect(await recordedExpiry(w.store, conv, 7)).toBeNull() // no pin yet: kept
    listed = true
    w.advance(10_000)
    await w.timers.sync() // v5 verifies and settles
    expect(w.timers.timerOf(conv)).toBe(300_000)
    expect(await recordedExpiry(w.store, conv, 7)).toBe(w.now() + 300_000)
    expect(await w.store.keys('exp-wait/')).toEqual([])
    w.timers.stop()
  })

  it('L2: load() indexes the exp/ keys of a store written before the index, once', async () => {
    const w = world({ listed: bobKey })
    await w.store.set(expiryKey(9_000_000, conv, 3), { conversationId: conv, seq: 3, id: 'm3' })
    await w.timers.load()
    expect(await recordedExpiry(w.store, conv, 3)).toBe(9_000_000)
    await w.store.delete(expiryIndexKey(conv, 3))
    await w.timers.load()
    expect(await recordedExpiry(w.store, conv, 3)).toBeNull() // built once, not on every start
    w.timers.stop()
  })
})
