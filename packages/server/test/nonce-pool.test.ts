import { describe, expect, it } from 'vitest'
import { pooledRandom } from '../src/nonce-pool.js'

describe('pooledRandom', () => {
  it('hands out each pooled byte once, across refills, in arrays the caller owns', () => {
    const random = pooledRandom(100)
    const seen = new Set<string>()
    for (let i = 0; i < 50; i++) {
      const n = random(24)
      expect(n).toBeInstanceOf(Uint8Array)
      expect(n.length).toBe(24)
      expect(n.byteOffset).toBe(0)
      expect(n.buffer.byteLength).toBe(24) // a copy, not a view of the pool
      seen.add(Buffer.from(n).toString('hex'))
    }
    expect(seen.size).toBe(50)
  })

  it('serves requests above the pooled size directly, at the requested length', () => {
    const random = pooledRandom(100)
    expect(random(1000).length).toBe(1000)
    expect(random(0).length).toBe(0)
    const a = random(65)
    const b = random(65)
    expect(Buffer.from(a).equals(Buffer.from(b))).toBe(false)
  })
})
