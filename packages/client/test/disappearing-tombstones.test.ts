/**
 * The local side of decision 0025 (src/disappearing/), on a bare key store: expiring a message
 * drops the actions still waiting for it and its tombstone row; an action whose target expired
 * is not stored; tombstones past MAX_TOMBSTONES_PER_CONVERSATION fold into a range that still
 * refuses every folded seq (and nothing outside it), with their commitment entries; a snapshot
 * carries pins as carried pins (to be verified), and the tombstones with their range; the
 * effective timer is min(franked, pinned). End-to-end: packages/tests row-17-disappearing-timer
 * (g, h) and backup/disappearing-pins-carried.
 */
import { describe, expect, it } from 'vitest'
import type { MessageRef } from '@parley/protocol'
import { memoryKeyStore } from '../src/key-store/memory.js'
import type { KeyStore } from '../src/key-store/key-store.js'
import { receiveMessage } from '../src/messages/receive.js'
import type { Changes } from '../src/messages/find-message.js'
import { expireMessage } from '../src/disappearing/expire-message.js'
import { expiredSeqs, goneKey, isExpiredSeq, MAX_TOMBSTONES_PER_CONVERSATION, pruneTombstones } from '../src/disappearing/tombstones.js'
import { effectiveTimer } from '../src/disappearing/timers.js'
import { pinKey } from '../src/disappearing/message-timer.js'
import { CARRIED_PIN_PREFIX } from '../src/disappearing/carried-pins.js'
import { readSnapshot, takeSnapshot } from '../src/backup/snapshot.js'
import { K, type StoredMessage } from '../src/store-layout.js'

const conv = 'c1'
const alice = { userId: 'alice', deviceId: 'a1' }
const tf = (n: number) => { const b = Buffer.alloc(32, 0xbb); b.writeUInt32BE(n); return b.toString('base64') }
function msg(n: number, text: string, ref?: MessageRef): StoredMessage {
  return { id: `m${n}`, conversationId: conv, seq: n, ts: n, sender: alice, outgoing: false, text, attachments: [], encryption: 'e2ee', nf: tf(0), tf: tf(n), rf: tf(0), kid: 'k', ...(ref ? { ref } : {}) }
}
async function receive(store: KeyStore, m: StoredMessage) {
  const changes: Changes = {}
  const r = await receiveMessage(store, changes, m, 0)
  await store.saveChanges(changes)
  return r
}
async function expire(store: KeyStore, seq: number) {
  const changes: Record<string, null | string | number> = {}
  const deleted = await expireMessage(store, conv, seq, `m${seq}`, changes)
  await store.saveChanges(changes)
  return deleted
}
const edit = (target: number): MessageRef => ({ kind: 'edit', messageId: `m${target}`, tf: tf(target), version: 1 })

describe('disappearing: late actions and bounded tombstones (decision 0025)', () => {
  it('an action whose target expired is not stored; one arriving before does not outlive it', async () => {
    const store = memoryKeyStore()
    await receive(store, msg(1, 'target'))
    await expire(store, 1)
    const late = await receive(store, msg(2, 'late edit', edit(1)))
    expect(late).toEqual({ action: expect.objectContaining({ seq: 2 }), applied: { nothing: true } })
    expect(await store.get(K.message(conv, 2))).toBeNull()
    expect(await store.keys('msgpend/')).toEqual([])

    // An action held for a target (it came first) and the target's tombstone go when it expires.
    await receive(store, msg(3, 'early edit', edit(5)))
    expect(await store.keys('msgpend/')).toHaveLength(1) // control: it waits for its target
    const pendingKey = K.actionPending(conv, tf(5), 3)
    const target = msg(5, 'target 2')
    await store.saveChanges({ [K.message(conv, 5)]: target as never, [K.messageTf(conv, tf(5))]: 5, [pendingKey]: 3 }) // as if beyond the per-target limit
    await receive(store, msg(6, '', { kind: 'delete', messageId: 'm5', tf: tf(5) }))
    expect(await store.get(K.message(conv, 6))).not.toBeNull()
    const deleted = await expire(store, 5)
    expect(deleted.sort()).toEqual([K.message(conv, 3), K.message(conv, 5), K.message(conv, 6)].sort())
    expect(await store.keys(`msg/${conv}/`)).toEqual([])
    expect(await store.keys('msgpend/')).toEqual([])
    expect(await store.get(goneKey(conv, 5))).toBe(tf(5)) // the tombstone holds the commitment
  })

  it('tombstones past the bound fold into a range that still refuses every folded seq', async () => {
    const store = memoryKeyStore()
    const max = 10
    const changes: Changes = {}
    // Expired seqs 2, 4, …, 24 (12 tombstones), held untimed messages at the odd seqs between.
    for (let seq = 2; seq <= 24; seq += 2) {
      changes[goneKey(conv, seq)] = tf(seq)
      changes[K.messageTf(conv, tf(seq))] = seq
    }
    await store.saveChanges(changes)
    expect(await pruneTombstones(store, conv, max)).toBe(7) // 12 → 5 (half the bound)
    expect(await store.keys(`gone/${conv}/`)).toHaveLength(5)
    for (let seq = 2; seq <= 24; seq += 2) expect(await isExpiredSeq(store, conv, seq), `seq ${seq}`).toBe(true)
    expect(await isExpiredSeq(store, conv, 1)).toBe(false) // below the range
    expect(await isExpiredSeq(store, conv, 25)).toBe(false) // above everything
    expect(await isExpiredSeq(store, conv, 9)).toBe(true) // inside the range: not held here, so refused
    await store.set(K.message(conv, 11), msg(11, 'untimed, held') as never)
    expect(await isExpiredSeq(store, conv, 11)).toBe(false) // inside the range but held: live
    expect(await isExpiredSeq(store, 'other', 4)).toBe(false)
    const gone = await expiredSeqs(store, conv)
    expect([1, 2, 14, 16, 24, 25].map((s) => gone.has(s))).toEqual([false, true, true, true, true, false])
    // The commitment entries of folded seqs went with them; the others stay.
    expect(await store.get(K.messageTf(conv, tf(14)))).toBeNull()
    expect(await store.get(K.messageTf(conv, tf(16)))).toBe(16)
    // An edit of that held message is applied, not taken for a late action.
    await store.set(K.messageTf(conv, tf(11)), 11)
    expect(await receive(store, msg(40, 'edited', edit(11)))).toMatchObject({ applied: { target: expect.objectContaining({ seq: 11 }) } })
    expect(await pruneTombstones(store, conv, max)).toBe(0) // under the bound: nothing to do
    expect(MAX_TOMBSTONES_PER_CONVERSATION).toBe(1_000)

    // A second fold widens the range upward and keeps its start.
    const more: Changes = {}
    for (let seq = 26; seq <= 38; seq += 2) more[goneKey(conv, seq)] = 1 // tombstones from before 0025 hold no tf
    await store.saveChanges(more)
    await pruneTombstones(store, conv, max)
    expect(await store.get(`gonefloor/${conv}`)).toEqual({ from: 2, to: 28 }) // 16…28 folded, 30…38 kept
  })

  it('a snapshot carries pins as carried pins, and tombstones with their range', async () => {
    const store = memoryKeyStore()
    const setting = { conversationId: conv, ms: 60_000, version: 7, userId: 'alice', deviceId: 'a1', ts: 1, sig: 'x' }
    await store.saveChanges({ [pinKey(conv)]: setting as never, [goneKey(conv, 3)]: tf(3), [`gonefloor/${conv}`]: { from: 1, to: 2 } })
    const bytes = await takeSnapshot(store, { kind: 'transfer', userId: 'alice', now: 1 })
    const { changes } = readSnapshot(bytes, { kind: 'transfer', userId: 'alice' })
    expect(changes[pinKey(conv)]).toBeUndefined() // never believed as it comes
    expect(changes[`${CARRIED_PIN_PREFIX}${conv}`]).toEqual({ setting })
    expect(changes[goneKey(conv, 3)]).toBe(tf(3))
    expect(changes[`gonefloor/${conv}`]).toEqual({ from: 1, to: 2 })
    // A carried range reaches no further than the snapshot's own seqs (review L1): a forged
    // `to` is capped at the highest held seq, a range above them or with from > to is dropped.
    const forged = async (range: unknown, seqs: number[]) => {
      const records = [...seqs.map((n) => [goneKey(conv, n), tf(n)]), [`gonefloor/${conv}`, range], [goneKey('c2', 90), tf(90)]]
      return readSnapshot(Buffer.from(JSON.stringify({ v: 1, kind: 'transfer', userId: 'alice', createdAt: 1, records })), { kind: 'transfer', userId: 'alice' }).changes[`gonefloor/${conv}`]
    }
    expect(await forged({ from: 0, to: Number.MAX_SAFE_INTEGER }, [3, 5])).toEqual({ from: 0, to: 5 }) // another conversation's seq 90 does not count
    expect(await forged({ from: 9, to: 12 }, [3, 5])).toBeUndefined()
    expect(await forged({ from: 4, to: 2 }, [3, 5])).toBeUndefined()
    expect(await forged({ from: 0, to: 100 }, [])).toBeUndefined()
    expect(await forged({ from: 'x', to: 3 }, [3])).toBeUndefined()
    const capped = memoryKeyStore()
    await capped.saveChanges({ [`gonefloor/${conv}`]: (await forged({ from: 0, to: Number.MAX_SAFE_INTEGER }, [3, 5]))! })
    expect(await isExpiredSeq(capped, conv, 5)).toBe(true)
    expect(await isExpiredSeq(capped, conv, 6)).toBe(false) // a later delivery is not dropped
    // Only tombstones may be bare values.
    const bad = Buffer.from(JSON.stringify({ v: 1, kind: 'transfer', userId: 'alice', createdAt: 1, records: [[K.message(conv, 1), 5]] }))
    expect(() => readSnapshot(bad, { kind: 'transfer', userId: 'alice' })).toThrow(expect.objectContaining({ code: 'backup_corrupt' }))
  })

  it('a message expires by the shorter of its franked timer and the pinned one', () => {
    expect(effectiveTimer(undefined, null)).toBeUndefined()
    expect(effectiveTimer(5_000, null)).toBe(5_000)
    expect(effectiveTimer(undefined, 7_000)).toBe(7_000) // an older or modified client's message
    expect(effectiveTimer(5_000, 7_000)).toBe(5_000)
    expect(effectiveTimer(9_000, 7_000)).toBe(7_000)
  })
})
