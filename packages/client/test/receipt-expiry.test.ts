/**
 * A receipt's expiry (decision 0019 §8; review of 2026-12-03, L2): it takes its target's recorded
 * expiry, found by the target's seq with one read — never by listing the `exp/` keys (13 ms per
 * receipt at 200k keys). The store below refuses any listing of `exp/`: the control is a target
 * whose expiry is recorded (the receipt gets exactly that time, so the lookup ran and found it).
 * Without a recorded expiry the receipt expires by the target's timer from now, and with neither a
 * timer nor a pin it gets none; a malformed carried pin is no waiting pin (review L7). Timing
 * itself belongs in bench/, not here.
 */
import { describe, expect, it } from 'vitest'
import { memoryKeyStore } from '../src/key-store/memory.js'
import type { JsonValue, KeyStore } from '../src/key-store/key-store.js'
import { generateDeviceIdentity, signDisappearing } from '@parley/crypto'
import type { StoredMessage } from '../src/store-layout.js'
import type { Changes } from '../src/messages/find-message.js'
import { expireReceipt } from '../src/receipts/receipt-expiry.js'
import { expiryIndexKey, expiryKey, expiryWaitKey } from '../src/disappearing/expiry-keys.js'
import { carriedPinKey } from '../src/disappearing/carried-pins.js'

const conv = 'c1'
const v5 = signDisappearing(generateDeviceIdentity('b1'), { conversationId: conv, ms: 300_000, version: 5, userId: 'bob', deviceId: 'b1', ts: 5 })
const row = (seq: number, timer?: number) =>
  ({ id: `m${seq}`, conversationId: conv, seq, ...(timer !== undefined ? { timer } : {}) }) as unknown as StoredMessage

function noExpiryListing(): { store: KeyStore; listed: string[] } {
  const inner = memoryKeyStore()
  const listed: string[] = []
  const store: KeyStore = Object.assign(Object.create(inner) as KeyStore, {
    keys: (prefix: string) => {
      listed.push(prefix)
      if ('exp/'.startsWith(prefix) || prefix.startsWith('exp/')) throw new Error(`listed ${prefix}`)
      return inner.keys(prefix)
    },
  })
  return { store, listed }
}

describe('receipt expiry', () => {
  it('takes the target\'s recorded expiry by a direct read, never a listing of exp/', async () => {
    const { store, listed } = noExpiryListing()
    await store.saveChanges({ [expiryKey(5_000, conv, 3)]: { conversationId: conv, seq: 3, id: 'm3' }, [expiryIndexKey(conv, 3)]: 5_000 })
    const changes: Changes = {}
    await expireReceipt(store, changes, row(4), row(3, 60_000), 1_000)
    expect(changes[expiryKey(5_000, conv, 4)]).toEqual({ conversationId: conv, seq: 4, id: 'm4' }) // control: found
    expect(changes[expiryIndexKey(conv, 4)]).toBe(5_000)
    expect(listed).toEqual([])
  })

  it('without a recorded expiry: now + the target\'s timer; with no timer and no pin: none', async () => {
    const { store } = noExpiryListing()
    const timed: Changes = {}
    await expireReceipt(store, timed, row(4), row(3, 60_000), 1_000)
    expect(Object.keys(timed)).toEqual([expiryKey(61_000, conv, 4), expiryIndexKey(conv, 4)])
    const untimed: Changes = {}
    await expireReceipt(store, untimed, row(6), row(5), 1_000)
    expect(untimed).toEqual({})
  })

  it('untimed while a carried pin waits: the receipt waits with it (it expires when the pin settles)', async () => {
    const { store } = noExpiryListing()
    await store.set(carriedPinKey(conv), { setting: v5 as unknown as JsonValue })
    const changes: Changes = {}
    await expireReceipt(store, changes, row(6), row(5), 1_000)
    expect(changes).toEqual({ [expiryWaitKey(conv, 6)]: { conversationId: conv, seq: 6, id: 'm6' } })
  })

  it('L7: a malformed carried pin (or one naming another conversation) is no waiting pin: no waiting record', async () => {
    const { store } = noExpiryListing()
    for (const setting of [{ conversationId: conv }, { ...v5, version: 'five' }, { ...v5, conversationId: 'c2' }]) {
      await store.set(carriedPinKey(conv), { setting } as unknown as JsonValue)
      const changes: Changes = {}
      await expireReceipt(store, changes, row(6), row(5), 1_000)
      expect(changes).toEqual({})
    }
  })
})
