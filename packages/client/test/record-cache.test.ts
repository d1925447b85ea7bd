import { describe, expect, it } from 'vitest'
import { memoryKeyStore } from '../src/index.js'
import type { JsonValue, KeyStore } from '../src/key-store/key-store.js'
import { cachedStore, MAX_CACHED_RECORDS } from '../src/sessions/record-cache.js'
import { KEY_STORE_CONTRACT } from './key-store-contract.js'

const SESSION = 'session/bob/d-1'

/** A memory store whose reads can be held until released (to overlap a read with a write). */
function slowReads(inner: KeyStore) {
  let hold: Promise<void> | null = null
  let release = () => {}
  const store: KeyStore = {
    ...inner,
    async get<T extends JsonValue = JsonValue>(key: string) {
      const value = await inner.get<T>(key)
      if (hold) await hold
      return value
    },
  }
  return {
    store,
    holdReads() {
      hold = new Promise<void>((r) => (release = r))
    },
    releaseReads() {
      hold = null
      release()
    },
  }
}

describe('cachedStore: the KeyStore contract still holds', () => {
  for (const c of KEY_STORE_CONTRACT) it(c.name, () => c.run({ open: () => cachedStore(memoryKeyStore()) }))
})

describe('cachedStore', () => {
  it('hands out the last written record without a copy, and what the store holds', async () => {
    const inner = memoryKeyStore()
    const s = cachedStore(inner)
    const rec = { states: [{ n: 1 }] }
    await s.saveChanges({ [SESSION]: rec, other: { x: 1 } })
    expect(await s.get(SESSION)).toBe(rec)
    expect(await s.get(SESSION)).toEqual(await inner.get(SESSION))
    // Keys outside the cached set are still copies.
    const other = await s.get<{ x: number }>('other')
    other!.x = 2
    expect(await s.get('other')).toEqual({ x: 1 })
  })

  it('reads through once, then serves the same object', async () => {
    const inner = memoryKeyStore()
    await inner.set('prekeys', { a: 'k' })
    const s = cachedStore(inner)
    const first = await s.get('prekeys')
    expect(first).toEqual({ a: 'k' })
    expect(await s.get('prekeys')).toBe(first)
    expect(await s.get('seen-initial')).toBeNull()
  })

  it('follows deletes and writes', async () => {
    const s = cachedStore(memoryKeyStore())
    await s.set(SESSION, { v: 1 })
    await s.delete(SESSION)
    expect(await s.get(SESSION)).toBeNull()
    await s.set(SESSION, { v: 2 })
    expect(await s.get(SESSION)).toEqual({ v: 2 })
  })

  it('keeps the stored value when a batch is refused', async () => {
    const inner = memoryKeyStore()
    const s = cachedStore(inner)
    await s.set(SESSION, { v: 1 })
    await expect(s.saveChanges({ [SESSION]: { v: 2 }, bad: Number.NaN })).rejects.toBeInstanceOf(TypeError)
    expect(await s.get(SESSION)).toEqual({ v: 1 })
    expect(await inner.get(SESSION)).toEqual({ v: 1 })
  })

  it('does not cache a read that overlapped a write (it may be stale)', async () => {
    const slow = slowReads(memoryKeyStore())
    await slow.store.set(SESSION, { v: 1 })
    const s = cachedStore(slow.store)
    slow.holdReads()
    const reading = s.get(SESSION) // reads { v: 1 }, then waits
    await s.saveChanges({ [SESSION]: { v: 2 } })
    slow.releaseReads()
    expect(await reading).toEqual({ v: 1 })
    expect(await s.get(SESSION)).toEqual({ v: 2 })
  })

  it(`keeps at most MAX_CACHED_RECORDS (${MAX_CACHED_RECORDS}) and still reads evicted ones`, async () => {
    const s = cachedStore(memoryKeyStore())
    const changes: Record<string, JsonValue> = {}
    for (let i = 0; i <= MAX_CACHED_RECORDS; i++) changes[`peer/u${i}`] = { i }
    await s.saveChanges(changes)
    expect(await s.get('peer/u0')).toEqual({ i: 0 })
    expect(await s.get(`peer/u${MAX_CACHED_RECORDS}`)).toEqual({ i: MAX_CACHED_RECORDS })
  })
})
