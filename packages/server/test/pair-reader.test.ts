/**
 * The pair reader (src/safety/pair-reader.ts) batches concurrent safety reads: the first reads
 * go out at once, reads made while CONCURRENT_PAIR_READS are in flight leave together in one
 * store call (at most MAX_PAIR_BATCH), every caller gets its own answer, and a failed call
 * fails only the reads in it.
 */
import { describe, expect, it } from 'vitest'
import { CONCURRENT_PAIR_READS, MAX_PAIR_BATCH, PairReader } from '../src/safety/pair-reader.js'
import { memorySafetyStore } from '../src/store/safety-memory.js'
import type { PairQuery, SafetyStore } from '../src/store/safety-store.js'

/** A safety store whose `pairs` calls wait until released, recording each batch. */
function gatedStore(): { store: SafetyStore; calls: PairQuery[][]; release(fail?: boolean): void } {
  const inner = memorySafetyStore()
  const calls: PairQuery[][] = []
  const gates: ((fail: boolean) => void)[] = []
  const store: SafetyStore = {
    ...inner,
    pairs: (queries) => {
      calls.push([...queries])
      return new Promise((resolve, reject) => gates.push((fail) => (fail ? reject(new Error('store down')) : resolve(inner.pairs(queries)))))
    },
  }
  return { store, calls, release: (fail = false) => gates.shift()?.(fail) }
}

const tick = () => new Promise((r) => setTimeout(r, 0))

/** Releases store calls one at a time until every read has settled. */
async function drain(release: () => void, reads: Promise<unknown>[]): Promise<void> {
  let settled = false
  void Promise.allSettled(reads).then(() => (settled = true))
  for (let i = 0; i < 1_000 && !settled; i++) {
    release()
    await tick()
  }
  expect(settled).toBe(true)
}

describe('PairReader', () => {
  it('sends the first reads at once and the rest in one batch each, answering every caller', async () => {
    const { store, calls, release } = gatedStore()
    await store.block('ann', 'bob', 1)
    const reader = new PairReader(store)
    const first = Array.from({ length: CONCURRENT_PAIR_READS }, (_, i) => reader.read('ann', `u${i}`))
    const waiting = [reader.read('ann', 'bob'), reader.read('bob', 'ann'), reader.read('cat', 'dan')]
    expect(calls.map((c) => c.length)).toEqual(Array(CONCURRENT_PAIR_READS).fill(1))
    release()
    await tick()
    expect(calls.map((c) => c.length)).toEqual([...Array(CONCURRENT_PAIR_READS).fill(1), 3])
    await drain(release, [...first, ...waiting])
    expect((await Promise.all(first)).every((p) => !p.aBlocksB)).toBe(true)
    expect((await Promise.all(waiting)).map((p) => [p.aBlocksB, p.bBlocksA])).toEqual([[true, false], [false, true], [false, false]])
  })

  it('never puts more than MAX_PAIR_BATCH reads in one call', async () => {
    const { store, calls, release } = gatedStore()
    const reader = new PairReader(store)
    const reads = Array.from({ length: CONCURRENT_PAIR_READS + MAX_PAIR_BATCH + 5 }, (_, i) => reader.read('a', `b${i}`))
    await drain(release, reads)
    expect(Math.max(...calls.map((c) => c.length))).toBe(MAX_PAIR_BATCH)
    expect(calls.reduce((n, c) => n + c.length, 0)).toBe(reads.length)
  })

  it('a failed store call rejects only its own reads; the reader keeps working', async () => {
    const { store, release } = gatedStore()
    const reader = new PairReader(store)
    const a = reader.read('a', 'b')
    release(true)
    await expect(a).rejects.toThrow('store down')
    const b = reader.read('a', 'c')
    release()
    await expect(b).resolves.toEqual({ aBlocksB: false, bBlocksA: false, request: null })
  })
})
