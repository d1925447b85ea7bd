/**
 * Carried tombstones are bounded by something outside the blob (review of 2026-12-03, second
 * round, L1; the reviewer's repro). A blob carrying the range `{ 0, 2^53-1 }` and one more
 * tombstone at `2^53-1` lifts the import cap (the blob's highest seq) to the maximum: on import
 * alone the device would drop every later delivery (the control below). The first sync bounds
 * the range by the server's head seq of the conversation, or the highest seq held there if
 * higher; the singletons stay (each hides one seq: third round, L3 — a head of 0 destroyed
 * them). End-to-end pins: backup/disappearing-pins-carried.
 */
import { describe, expect, it } from 'vitest'
import { memoryKeyStore } from '../src/key-store/memory.js'
import type { JsonValue } from '../src/key-store/key-store.js'
import { readSnapshot } from '../src/backup/snapshot.js'
import { boundCarriedTombstones, GONE_UNBOUNDED_PREFIX, goneKey, isExpiredSeq } from '../src/disappearing/tombstones.js'
import { DisappearingTimers } from '../src/disappearing/timers.js'
import { K } from '../src/store-layout.js'

const conv = 'c1'
const MAX = Number.MAX_SAFE_INTEGER
const forged: unknown[] = [[goneKey(conv, 3), 'x'], [`gonefloor/${conv}`, { from: 0, to: MAX }], [goneKey(conv, MAX), 'x']]

async function imported() {
  const bytes = Buffer.from(JSON.stringify({ v: 1, kind: 'transfer', userId: 'alice', createdAt: 1, records: forged }))
  const { changes } = readSnapshot(bytes, { kind: 'transfer', userId: 'alice' })
  const store = memoryKeyStore()
  await store.saveChanges(changes as Record<string, JsonValue>)
  return store
}

describe('carried tombstones bounded by the head seq', () => {
  it('the forged extra tombstone lifts the import cap (control), the head seq bounds both', async () => {
    const store = await imported()
    expect(await isExpiredSeq(store, conv, 123_456)).toBe(true) // control: the forged records took effect on import
    expect(await store.keys(GONE_UNBOUNDED_PREFIX)).toEqual([`${GONE_UNBOUNDED_PREFIX}${conv}`])
    await boundCarriedTombstones(store, new Map([['other', 5]]))
    expect(await isExpiredSeq(store, conv, 123_456)).toBe(true) // not listed: waits for its head
    await boundCarriedTombstones(store, new Map([[conv, 10]]))
    expect(await isExpiredSeq(store, conv, 11)).toBe(false)
    expect(await isExpiredSeq(store, conv, 123_456)).toBe(false)
    expect(await isExpiredSeq(store, conv, MAX)).toBe(true) // a singleton hides its one seq only, and stays (review L3)
    expect(await isExpiredSeq(store, conv, 6)).toBe(true) // at or below the head the range stands
    expect(await store.get(`gonefloor/${conv}`)).toEqual({ from: 0, to: 10 })
    expect(await store.keys(GONE_UNBOUNDED_PREFIX)).toEqual([])
  })

  it('a range wholly above the head is dropped', async () => {
    const store = memoryKeyStore()
    await store.saveChanges({ [`gonefloor/${conv}`]: { from: 5, to: 100 }, [`${GONE_UNBOUNDED_PREFIX}${conv}`]: 1 })
    expect(await isExpiredSeq(store, conv, 7)).toBe(true) // control
    await boundCarriedTombstones(store, new Map([[conv, 2]]))
    expect(await store.get(`gonefloor/${conv}`)).toBeNull()
    expect(await isExpiredSeq(store, conv, 7)).toBe(false)
  })

  it('the first sync applies the bound', async () => {
    const store = await imported()
    const core = {
      store, now: () => 0, lock: { run: <T>(f: () => Promise<T>) => f() }, events: { on() {}, emit() {} },
      reportError() {}, conn: { request: async () => ({ conversations: [{ id: conv, lastSeq: 2 }] }) },
    }
    const timers = new DisappearingTimers(core as never, { conversation: () => undefined } as never)
    await timers.sync()
    expect(await store.get(`gonefloor/${conv}`)).toEqual({ from: 0, to: 2 })
    expect(await store.keys(`gone/${conv}/`)).toEqual([goneKey(conv, 3), goneKey(conv, MAX)]) // singletons stay (review L3)
    expect(await isExpiredSeq(store, conv, 4)).toBe(false)
  })

  it('L3: a lying low head (lastSeq 0) drops no tombstone and cuts the range no lower than the messages held', async () => {
    const records = [[goneKey(conv, 40), 'tf40'], [`gonefloor/${conv}`, { from: 1, to: 30 }]]
    const bytes = Buffer.from(JSON.stringify({ v: 1, kind: 'transfer', userId: 'alice', createdAt: 1, records }))
    const store = memoryKeyStore()
    await store.saveChanges(readSnapshot(bytes, { kind: 'transfer', userId: 'alice' }).changes as Record<string, JsonValue>)
    await store.set(K.message(conv, 20), { id: 'm20', conversationId: conv, seq: 20 }) // a carried message between expired ones
    expect(await isExpiredSeq(store, conv, 40)).toBe(true)
    expect(await isExpiredSeq(store, conv, 25)).toBe(true)
    let asked = 0
    const core = {
      store, now: () => 0, lock: { run: <T>(f: () => Promise<T>) => f() }, events: { on() {}, emit() {} },
      reportError() {}, conn: { request: async () => (asked++, { conversations: [{ id: conv, lastSeq: 0 }] }) },
    }
    await new DisappearingTimers(core as never, { conversation: () => undefined } as never).sync()
    expect(asked).toBe(1) // control: the lying head reached the device and was applied (the mark is gone, the range cut)
    expect(await store.keys(GONE_UNBOUNDED_PREFIX)).toEqual([])
    expect(await store.get(`gonefloor/${conv}`)).toEqual({ from: 1, to: 20 }) // cut at the highest held seq, not at 0
    expect(await isExpiredSeq(store, conv, 40)).toBe(true) // the tombstone stays
    expect(await isExpiredSeq(store, conv, 10)).toBe(true)
    expect(await isExpiredSeq(store, conv, 20)).toBe(false) // held: live
  })
})
