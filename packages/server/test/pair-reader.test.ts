/**
 * The pair reader (src/safety/pair-reader.ts) batches concurrent safety reads: the reads of one
 * I/O turn (and reads made while CONCURRENT_PAIR_READS are in flight) leave together in one
 * store call (at most MAX_PAIR_BATCH) at the end of the turn, even when none is in flight (a
 * store that answers synchronously must not make each read a query of its own), each distinct
 * question once; every caller gets its own answer, and a failed call fails only the reads in it.
 */
import { describe, expect, it } from 'vitest'
import { CONCURRENT_PAIR_READS, MAX_PAIR_BATCH, PairReader } from '../src/safety/pair-reader.js'
import { memorySafetyStore } from '../src/store/safety-memory.js'
import type { PairQuery, PairSafety, SafetyStore } from '../src/store/safety-store.js'

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
  it('sends the reads of a turn in one batch at its end, even when idle, and later reads once a slot frees, answering every caller', async () => {
    expect(CONCURRENT_PAIR_READS).toBeGreaterThanOrEqual(2)
    const { store, calls, release } = gatedStore()
    await store.block('ann', 'bob', 1)
    const reader = new PairReader(store)
    const sizes = () => calls.map((c) => c.length)
    const first = reader.read('ann', 'u0')
    expect(sizes()).toEqual([]) // idle, yet the read waits for the rest of its turn
    await new Promise((r) => setImmediate(r))
    expect(sizes()).toEqual([1])
    const waiting = [reader.read('ann', 'bob'), reader.read('bob', 'ann'), reader.read('cat', 'dan')]
    expect(sizes()).toEqual([1])
    await new Promise((r) => setImmediate(r))
    expect(sizes()).toEqual([1, 3])
    // Fill every slot, then one more read waits for a slot to free.
    const fillers = Array.from({ length: CONCURRENT_PAIR_READS - 2 }, (_, i) => reader.read('eve', `f${i}`))
    await new Promise((r) => setImmediate(r))
    const late = reader.read('fay', 'gus')
    await new Promise((r) => setImmediate(r))
    expect(calls.length).toBe(CONCURRENT_PAIR_READS)
    release()
    await tick()
    expect(sizes()[CONCURRENT_PAIR_READS]).toBe(1)
    await drain(release, [first, ...waiting, ...fillers, late])
    expect((await first).aBlocksB).toBe(false)
    expect((await Promise.all(waiting)).map((p) => [p.aBlocksB, p.bBlocksA])).toEqual([[true, false], [false, true], [false, false]])
  })

  it('batches the reads of one turn against a store that answers at once (PGlite runs queries synchronously)', async () => {
    const inner = memorySafetyStore()
    const calls: number[] = []
    const store: SafetyStore = { ...inner, pairs: (queries) => (calls.push(queries.length), inner.pairs(queries)) }
    await store.block('b3', 'a', 1)
    const reader = new PairReader(store)
    // Frames handled one after another in one I/O turn: each one's microtasks (a synchronous
    // store's whole query) run before the next frame's handler.
    const reads: Promise<PairSafety>[] = []
    for (let i = 0; i < 10; i++) {
      reads.push(reader.read('a', `b${i}`))
      for (let k = 0; k < 5; k++) await Promise.resolve()
    }
    const answers = await Promise.all(reads)
    expect(calls).toEqual([10]) // answered at once when idle, each read was a query of its own
    expect(answers.map((p) => p.bBlocksA)).toEqual(answers.map((_, i) => i === 3))
  })

  it('a store that throws instead of rejecting fails its batch only, and frees its slot', async () => {
    const inner = memorySafetyStore()
    let throwing = true
    const store: SafetyStore = {
      ...inner,
      pairs: (queries) => {
        if (throwing) throw new Error('store threw')
        return inner.pairs(queries)
      },
    }
    const reader = new PairReader(store)
    for (let i = 0; i <= CONCURRENT_PAIR_READS; i++) {
      await expect(reader.read('a', `b${i}`)).rejects.toThrow('store threw')
    }
    throwing = false
    await expect(reader.read('a', 'c')).resolves.toEqual({ aBlocksB: false, bBlocksA: false, request: null })
  })

  it('never puts more than MAX_PAIR_BATCH reads in one call', async () => {
    const { store, calls, release } = gatedStore()
    const reader = new PairReader(store)
    const reads = Array.from({ length: CONCURRENT_PAIR_READS + MAX_PAIR_BATCH + 5 }, (_, i) => reader.read('a', `b${i}`))
    await drain(release, reads)
    expect(Math.max(...calls.map((c) => c.length))).toBe(MAX_PAIR_BATCH)
    expect(calls.reduce((n, c) => n + c.length, 0)).toBe(reads.length)
  })

  it('asks each distinct question once per batch and answers every caller with its own object', async () => {
    const { store, calls, release } = gatedStore()
    await store.block('ann', 'bob', 1)
    const reader = new PairReader(store)
    const first = reader.read('ann', 'cat')
    // The same pair thirty times (one pair, many sends in flight), its reverse, and ids that would
    // collide under a naive separator ('a\nb' + 'c' vs 'a' + 'b\nc').
    const same = Array.from({ length: 30 }, () => reader.read('ann', 'bob', 'c1'))
    const other = [reader.read('bob', 'ann', 'c1'), reader.read('ann', 'bob'), reader.read('x\ny', 'z'), reader.read('x', 'y\nz')]
    await new Promise((r) => setImmediate(r))
    expect(calls.map((c) => c.length)).toEqual([6]) // 35 reads of one turn, 6 distinct questions
    await drain(release, [first, ...same, ...other])
    const answers = await Promise.all(same)
    expect(answers.every((p) => p.aBlocksB && !p.bBlocksA)).toBe(true)
    expect(new Set(answers).size).toBe(30) // a caller changing its answer cannot change another's
    expect((await Promise.all(other)).map((p) => [p.aBlocksB, p.bBlocksA])).toEqual([[false, true], [true, false], [false, false], [false, false]])
  })

  it('a store that answers fewer questions than it was asked fails the reads, never answers "not blocked"', async () => {
    const inner = memorySafetyStore()
    const store: SafetyStore = { ...inner, pairs: async (queries) => (await inner.pairs(queries)).slice(1) }
    const reader = new PairReader(store)
    await expect(reader.read('a', 'b')).rejects.toThrow('answered 0 of 1')
  })

  it('a failed store call rejects only its own reads; the reader keeps working', async () => {
    const { store, release } = gatedStore()
    const reader = new PairReader(store)
    const turn = () => new Promise((r) => setImmediate(r))
    const a = reader.read('a', 'b')
    await turn()
    release(true)
    await expect(a).rejects.toThrow('store down')
    const b = reader.read('a', 'c')
    await turn()
    release()
    await expect(b).resolves.toEqual({ aBlocksB: false, bBlocksA: false, request: null })
  })
})
