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
import { DisappearingRejectedError, type DisappearingSetting } from '@parley/protocol'
import { memoryKeyStore } from '../src/key-store/memory.js'
import type { JsonValue } from '../src/key-store/key-store.js'
import { DisappearingTimers } from '../src/disappearing/timers.js'
import { expiryIndexKey, expiryKey, expiryWaitKey, recordedExpiry } from '../src/disappearing/expiry-keys.js'
import { CARRIED_PIN_PREFIX, carriedPinKey } from '../src/disappearing/carried-pins.js'

const conv = 'c1'
const bob = generateDeviceIdentity('b1')
const me = generateDeviceIdentity('a3')
const setting = (version: number, ms: number): DisappearingSetting =>
  signDisappearing(bob, { conversationId: conv, ms, version, userId: 'bob', deviceId: 'b1', ts: version })
const v1 = setting(1, 3_600_000)
const v5 = setting(5, 300_000)

type Listed = () => Promise<{ signingKey: string } | undefined>
type Request = (name: string, body: { setting: DisappearingSetting }) => Promise<unknown>
function world(opts: { listed: Listed; list?: () => Promise<unknown>; request?: Request }) {
  const store = memoryKeyStore()
  const errors: string[] = []
  const handlers = new Map<string, (m: unknown) => void>()
  const emitted: unknown[] = []
  let now = 1_000_000
  const list = () => (opts.list ? opts.list() : { conversations: [{ id: conv, disappearing: v1 }] })
  const core = {
    store, now: () => now, lock: { run: <T>(f: () => Promise<T>) => f() }, whenReady: async () => {},
    events: { on: (e: string, f: (m: unknown) => void) => handlers.set(e, f), emit: (e: string, p: unknown) => e === 'disappearing' && emitted.push(p) },
    self: () => ({ userId: 'alice', deviceId: 'a3', device: me }),
    reportError: (p: { error: { code: string; details?: { reason?: string } } }) => errors.push(`${p.error.code}:${p.error.details?.reason ?? ''}`),
    conn: { request: async (name: string, body: { setting: DisappearingSetting }) => (name === 'conversation.list' || !opts.request ? list() : opts.request(name, body)) },
  }
  const conversation = { id: conv, members: ['alice', 'bob'], _emit() {} }
  let fetches = 0
  const deps = {
    conversation: () => conversation, applyInfo: async () => conversation, forgetSearch() {},
    listedDevice: () => (fetches++, opts.listed()),
  }
  const timers = new DisappearingTimers(core as never, deps as never)
  return {
    store, errors, timers, emitted, fetches: () => fetches, advance: (ms: number) => (now += ms), now: () => now,
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

/**
 * Third round of the review (2026-12-03): M1 — this device changing its own timer while a carried
 * pin waits; M2 — an untimed message logged while a superseding setting's check is held open;
 * L7 — a malformed carried pin settles the waiting records of the conversation its key names.
 */
describe('a waiting carried pin, third round', () => {
  const waiting = async (w: ReturnType<typeof world>) => {
    await w.carry()
    await w.timers.load()
    await w.timers.sync()
    expect(w.errors).toEqual(['not_found:']) // control: the withheld list reached the check, v5 waits
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toHaveLength(1)
  }

  it('M1: set() on the waiting device numbers above the carried v5; an honest server takes it, and it is pinned', async () => {
    let held = 5
    const sent: number[] = []
    const w = world({
      listed: async () => undefined,
      list: async () => ({ conversations: [{ id: conv, lastSeq: 10, disappearing: v5 }] }),
      request: async (_name, { setting: s }) => {
        sent.push(s.version)
        if (s.version !== held + 1) throw new DisappearingRejectedError('stale', { conversationId: conv, version: s.version, reason: 'stale' })
        held = s.version
        return {}
      },
    })
    await waiting(w)
    await w.timers.set({ id: conv } as never, 60_000)
    expect(sent).toEqual([6]) // before the fix: 1, refused stale for ever
    expect(w.timers.timerOf(conv)).toBe(60_000)
    expect(w.emitted).toHaveLength(1)
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toEqual([]) // superseded by this device's own v6
    w.timers.stop()
  })

  it('M1: a hostile server that accepts anything cannot make set() succeed with nothing pinned', async () => {
    const sent: number[] = []
    const w = world({
      listed: async () => undefined,
      list: async () => ({ conversations: [{ id: conv, lastSeq: 10, disappearing: v5 }] }),
      request: async (_name, { setting: s }) => (sent.push(s.version), {}),
    })
    await waiting(w)
    await w.timers.set({ id: conv } as never, 60_000)
    expect(sent).toEqual([6]) // control: the request reached the server, which accepted it
    expect(w.timers.timerOf(conv)).toBe(60_000) // before the fix: null, no event, and set() resolved
    expect(w.emitted).toHaveLength(1)
    w.timers.stop()
  })

  it('M1: the server\'s echo of this device\'s own setting, pinned before the answer, counts as pinned', async () => {
    const w = world({
      listed: bobKey,
      list: async () => ({ conversations: [{ id: conv, lastSeq: 10 }] }),
      request: async (_name, { setting: s }) => (w.timers.onEvent(structuredClone(s)), {}), // the echo as a frame: another object
    })
    await w.timers.load()
    await w.timers.set({ id: conv } as never, 60_000)
    expect(w.timers.timerOf(conv)).toBe(60_000)
    expect(w.emitted).toHaveLength(1) // one pin: the echo's (queued first); set()'s own accept found it there
    w.timers.stop()
  })

  it('M1: when the server accepts but another setting stands here, set() throws stale (after one retry), never resolves', async () => {
    const sent: number[] = []
    const w = world({
      listed: bobKey,
      list: async () => ({ conversations: [{ id: conv, lastSeq: 10 }] }),
      // Each time, the server first pushes a newer genuine setting of bob's, then says yes.
      request: async (_name, { setting: s }) => {
        sent.push(s.version)
        w.timers.onEvent(setting(s.version + 1, 120_000))
        return {}
      },
    })
    await w.timers.load()
    const e = await w.timers.set({ id: conv } as never, 60_000).catch((x: unknown) => x)
    expect(DisappearingRejectedError.isInstance(e) && e.details.reason).toBe('stale')
    expect(sent).toEqual([1, 3]) // control: both attempts reached the server; bob's v2 then v4 stand
    expect(w.timers.timerOf(conv)).toBe(120_000)
    w.timers.stop()
  })

  it('M2: an untimed message logged while a superseding v6 is being checked expires by v6', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    let inFlight!: () => void
    const checking = new Promise<void>((r) => (inFlight = r))
    let calls = 0
    const w = world({
      listed: async () => {
        if (++calls === 1) return undefined // the carried v5 waits
        inFlight()
        await gate // the server holds v6's device-list answer open
        return bobKey()
      },
      list: async () => ({ conversations: [{ id: conv, lastSeq: 10 }] }),
    })
    await waiting(w)
    w.log(7) // logged while v5 waits, before v6
    w.timers.onEvent(setting(6, 300_000))
    await checking
    w.log(8) // logged while v6's check is open
    release()
    await settled(w.timers)
    expect(calls).toBe(2) // control: v6's check ran on the held answer
    expect(w.timers.timerOf(conv)).toBe(300_000)
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toEqual([])
    expect(await recordedExpiry(w.store, conv, 7)).toBe(w.now() + 300_000)
    expect(await recordedExpiry(w.store, conv, 8)).toBe(w.now() + 300_000) // before the fix: null, never expired
    expect(await w.store.keys('exp-wait/')).toEqual([])
    w.timers.stop()
  })

  it('L7: a malformed carried pin settles the waiting records of the conversation its key names', async () => {
    const w = world({ listed: bobKey })
    await w.store.set(carriedPinKey(conv), { setting: { ...v5, version: 'five' } } as unknown as JsonValue)
    await w.store.set(expiryWaitKey(conv, 6), { conversationId: conv, seq: 6, id: 'r6' }) // a receipt's, written before the fix
    await w.timers.load()
    await w.timers.sync()
    expect(await w.store.keys(CARRIED_PIN_PREFIX)).toEqual([]) // control: the malformed pin was read and settled
    expect(await w.store.keys('exp-wait/')).toEqual([]) // before the fix: left for good
    w.timers.stop()
  })

  it('a waiting record that landed after its pin settled (a receipt\'s batch) is settled on the next sync', async () => {
    const w = world({ listed: bobKey })
    await w.store.set(expiryWaitKey(conv, 6), { conversationId: conv, seq: 6, id: 'r6' }) // no carried pin any more
    await w.timers.load()
    expect(await w.store.keys('exp-wait/')).toHaveLength(1) // control: the straggler is there
    await w.timers.sync() // pins the server's v1
    expect(await recordedExpiry(w.store, conv, 6)).toBe(w.now() + 3_600_000)
    expect(await w.store.keys('exp-wait/')).toEqual([])
    w.timers.stop()
  })
})
