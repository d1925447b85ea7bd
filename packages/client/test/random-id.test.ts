import { describe, expect, it } from 'vitest'
import { RANDOM_ID_POOL_BYTES, randomId } from '../src/util.js'

describe('randomId', () => {
  it('gives distinct hex ids of the asked length across pool refills', () => {
    const count = Math.ceil((3 * RANDOM_ID_POOL_BYTES) / 12)
    const ids = new Set(Array.from({ length: count }, () => randomId('m-')))
    expect(ids.size).toBe(count)
    for (const id of ids) expect(id).toMatch(/^m-[0-9a-f]{24}$/)
    expect(randomId('d-', 8)).toMatch(/^d-[0-9a-f]{16}$/)
  })
})
