import { describe, expect, it } from 'vitest'
import { BadMacError } from '@parley/protocol'
import { generateDataKey, MAX_CACHED_DATA_KEYS, openAtRest, sealAtRest } from '../src/index.js'

const pt = new TextEncoder().encode('body')
const ad = new TextEncoder().encode('row-1')

describe('sealAtRest subkey cache', () => {
  it('never serves subkeys of a key whose buffer was overwritten in place', () => {
    const buffer = generateDataKey()
    const keyA = buffer.slice()
    const sealedA = sealAtRest(buffer, 'a', pt, ad)
    const keyB = generateDataKey()
    buffer.set(keyB)
    const sealedB = sealAtRest(buffer, 'b', pt, ad)
    expect(openAtRest({ currentKid: 'b', keys: { a: keyA, b: keyB } }, sealedA, ad)).toEqual(pt)
    expect(openAtRest({ currentKid: 'b', keys: { a: keyA, b: keyB } }, sealedB, ad)).toEqual(pt)
    expect(() => openAtRest({ currentKid: 'b', keys: { b: keyA } }, sealedB, ad)).toThrow(BadMacError)
  })
  it('keeps working past the cache bound (old keys are re-derived)', () => {
    const keys = Array.from({ length: MAX_CACHED_DATA_KEYS + 3 }, () => generateDataKey())
    const sealed = keys.map((k, i) => sealAtRest(k, `k${i}`, pt, ad))
    const ring = { currentKid: 'k0', keys: Object.fromEntries(keys.map((k, i) => [`k${i}`, k])) }
    for (const s of sealed) expect(openAtRest(ring, s, ad)).toEqual(pt)
  })
})
