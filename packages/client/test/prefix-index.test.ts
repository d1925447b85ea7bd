/**
 * The memory key store answers `keys(prefix)` from a prefix index (key-store/_prefix-index.ts):
 * after a seeded random mix of writes, overwrites and deletes, every prefix — `/`-ended or not,
 * empty, absent — lists exactly what a scan of the live keys lists, in order.
 */
import { describe, expect, it } from 'vitest'
import { memoryKeyStore } from '../src/index.js'
import { prng } from './helpers/prng.js'

const SEGMENTS = ['msg', 'msgpend', 'm', 'c1', 'c2', 'a/b', '', 'x']

describe('memory key store: keys(prefix) from its index', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: the same keys as a scan of the live ones', async (seed) => {
    const rand = prng(seed)
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!
    const store = memoryKeyStore()
    const live = new Set<string>()
    const randomKey = () => Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(SEGMENTS)).join('/') + (rand() < 0.3 ? '/' : '') || 'k'
    for (let step = 0; step < 400; step++) {
      const key = rand() < 0.4 && live.size ? pick([...live]) : randomKey()
      if (rand() < 0.35) {
        await store.saveChanges({ [key]: null })
        live.delete(key)
      } else {
        await store.saveChanges({ [key]: step })
        live.add(key)
      }
      if (step % 20 === 0 || step === 399) {
        const prefixes = ['', 'm', 'msg', 'msg/', 'msg/c1/', 'msgpend/', 'a/b/', 'zzz/', ...[...live].slice(0, 5).map((k) => k.slice(0, Math.floor(rand() * (k.length + 1))))]
        for (const p of prefixes) {
          expect(await store.keys(p), `seed ${seed}, step ${step}, prefix ${JSON.stringify(p)}`).toEqual([...live].filter((k) => k.startsWith(p)).sort())
        }
      }
    }
  })
})
