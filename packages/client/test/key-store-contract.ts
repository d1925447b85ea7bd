/**
 * The KeyStore conformance suite, framework-free so the same cases run under vitest in Node
 * (memory, file) and inside real Chromium (IndexedDB). Each case throws on failure.
 */
import { ParleyError } from '@parley/protocol'
import type { KeyStore } from '../src/index.js'

/** How a backend is opened for the suite. `reopen` opens the same storage again (persistence). */
export interface KeyStoreHarness {
  open(): Promise<KeyStore> | KeyStore
  reopen?(): Promise<KeyStore> | KeyStore
}

export interface ContractCase {
  name: string
  run(h: KeyStoreHarness): Promise<void>
}

function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${message}`)
}
function eq(actual: unknown, expected: unknown, message: string) {
  const a = JSON.stringify(actual)
  const b = JSON.stringify(expected)
  if (a !== b) throw new Error(`assertion failed: ${message}: expected ${b}, got ${a}`)
}
async function rejects(p: Promise<unknown>, check: (e: unknown) => boolean, message: string) {
  try {
    await p
  } catch (e) {
    assert(check(e), `${message}: wrong error ${(e as Error)?.name}: ${(e as Error)?.message}`)
    return
  }
  throw new Error(`assertion failed: ${message}: did not reject`)
}

const sample = {
  text: 'héllo 👋 "quoted" \\ \n',
  n: 42.5,
  neg: -1,
  flags: [true, false, null],
  nested: { a: { b: [1, 2, { c: 'd' }] } },
  empty: {},
}

export const KEY_STORE_CONTRACT: ContractCase[] = [
  {
    name: 'absent key reads as null',
    async run(h) {
      const s = await h.open()
      eq(await s.get('nope'), null, 'absent')
      await s.close()
    },
  },
  {
    name: 'round-trips nested JSON values',
    async run(h) {
      const s = await h.open()
      await s.set('a', sample)
      await s.set('b', 'string')
      await s.set('c', 0)
      await s.set('d', [])
      await s.set('e', false)
      eq(await s.get('a'), sample, 'object')
      eq(await s.get('b'), 'string', 'string')
      eq(await s.get('c'), 0, 'zero')
      eq(await s.get('d'), [], 'array')
      eq(await s.get('e'), false, 'false')
      await s.close()
    },
  },
  {
    name: 'overwrites a value',
    async run(h) {
      const s = await h.open()
      await s.set('k', { v: 1 })
      await s.set('k', { v: 2 })
      eq(await s.get('k'), { v: 2 }, 'overwritten')
      await s.close()
    },
  },
  {
    name: 'values are copied in and out',
    async run(h) {
      const s = await h.open()
      const v = { list: [1, 2] }
      await s.set('k', v)
      v.list.push(3)
      const got = (await s.get<{ list: number[] }>('k'))!
      eq(got, { list: [1, 2] }, 'mutating the input after set changes nothing')
      got.list.push(9)
      eq(await s.get('k'), { list: [1, 2] }, 'mutating a read value changes nothing')
      await s.close()
    },
  },
  {
    name: 'delete removes; deleting an absent key is fine',
    async run(h) {
      const s = await h.open()
      await s.set('k', 1)
      await s.delete('k')
      eq(await s.get('k'), null, 'deleted')
      await s.delete('never-there')
      await s.close()
    },
  },
  {
    name: 'saveChanges writes and deletes in one batch',
    async run(h) {
      const s = await h.open()
      await s.set('old', 'x')
      await s.saveChanges({ a: 1, b: { c: 2 }, old: null })
      eq(await s.get('a'), 1, 'a')
      eq(await s.get('b'), { c: 2 }, 'b')
      eq(await s.get('old'), null, 'old deleted')
      await s.saveChanges({})
      await s.close()
    },
  },
  {
    name: 'a batch with one bad value writes nothing',
    async run(h) {
      const s = await h.open()
      await s.set('keep', 'before')
      for (const bad of [() => 1, Number.NaN, new Uint8Array(2), { deep: [Infinity] }, Symbol('s')]) {
        await rejects(
          s.saveChanges({ keep: 'after', fresh: 1, bad: bad as never }),
          (e) => e instanceof TypeError,
          `bad value ${String(typeof bad)}`,
        )
      }
      eq(await s.get('keep'), 'before', 'unchanged')
      eq(await s.get('fresh'), null, 'not written')
      await s.close()
    },
  },
  {
    name: 'cyclic values are refused',
    async run(h) {
      const s = await h.open()
      const cyc: Record<string, unknown> = {}
      cyc.self = cyc
      await rejects(s.set('cyc', cyc as never), (e) => e instanceof TypeError, 'cycle')
      eq(await s.get('cyc'), null, 'not written')
      await s.close()
    },
  },
  {
    name: 'bad keys: TypeError for empty/non-string, RangeError when too long',
    async run(h) {
      const s = await h.open()
      await rejects(s.get(''), (e) => e instanceof TypeError, 'empty key')
      await rejects(s.set(7 as never, 1), (e) => e instanceof TypeError, 'number key')
      await rejects(s.set('x'.repeat(513), 1), (e) => e instanceof RangeError, 'long key')
      await s.close()
    },
  },
  {
    name: 'keys(prefix) lists matching keys sorted',
    async run(h) {
      const s = await h.open()
      await s.saveChanges({ 'outbox/b': 1, 'outbox/a': 2, 'outboxx': 3, 'session/x': 4, 'outbox/c': 5 })
      await s.delete('outbox/c')
      eq(await s.keys('outbox/'), ['outbox/a', 'outbox/b'], 'prefix')
      const all = await s.keys()
      for (const k of ['outbox/a', 'outbox/b', 'outboxx', 'session/x']) assert(all.includes(k), `all keys include ${k}`)
      eq([...all].sort(), all, 'sorted')
      eq(await s.keys('zzz'), [], 'no match')
      await s.close()
    },
  },
  {
    name: 'concurrent saveChanges all land',
    async run(h) {
      const s = await h.open()
      await Promise.all(Array.from({ length: 50 }, (_, i) => s.saveChanges({ [`c/${String(i).padStart(2, '0')}`]: i })))
      const keys = await s.keys('c/')
      eq(keys.length, 50, 'all 50 keys')
      for (let i = 0; i < 50; i += 7) eq(await s.get(`c/${String(i).padStart(2, '0')}`), i, `value ${i}`)
      await s.close()
    },
  },
  {
    name: 'closed store rejects with StoreError',
    async run(h) {
      const s = await h.open()
      await s.set('k', 1)
      await s.close()
      await s.close() // idempotent
      await rejects(s.get('k'), (e) => ParleyError.is(e, 'store_failure'), 'get after close')
      await rejects(s.set('k', 2), (e) => ParleyError.is(e, 'store_failure'), 'set after close')
    },
  },
  {
    name: 'data survives reopening',
    async run(h) {
      if (!h.reopen) return // memory: nothing to reopen
      const s = await h.open()
      await s.saveChanges({ 'p/a': sample, 'p/b': [1, 2, 3], 'p/gone': 1 })
      await s.delete('p/gone')
      await s.close()
      const again = await h.reopen()
      eq(await again.get('p/a'), sample, 'a after reopen')
      eq(await again.get('p/b'), [1, 2, 3], 'b after reopen')
      eq(await again.get('p/gone'), null, 'deleted stays deleted')
      eq(await again.keys('p/'), ['p/a', 'p/b'], 'keys after reopen')
      await again.close()
    },
  },
]
