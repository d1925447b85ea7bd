/** The Node fast path of base64 decoding accepts exactly what @parley/protocol's decoder accepts. */
import { fromBase64 as protocolFromBase64, toBase64 } from '@parley/protocol'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { fromBase64 } from '../src/_bytes.js'

function outcome(decode: (t: string) => Uint8Array, text: string): Uint8Array | 'TypeError' | 'other' {
  try {
    return Uint8Array.from(decode(text))
  } catch (e) {
    return e instanceof TypeError ? 'TypeError' : 'other'
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_ \n.'

describe('fromBase64 (native canonical check)', () => {
  it('round-trips bytes of every length, including 64 KiB', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => { expect(fromBase64(toBase64(b))).toEqual(b) }), { numRuns: 300 })
    const big = Uint8Array.from({ length: 65_536 }, (_, i) => (i * 31) & 0xff)
    expect(fromBase64(toBase64(big))).toEqual(big)
  })
  it('accepts and rejects exactly as the protocol decoder (mutated and random texts)', () => {
    const mutated = fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 40 }), fc.nat(), fc.constantFrom(...ALPHABET)).map(([b, i, ch]) => {
      const t = toBase64(b)
      const at = i % (t.length + 1)
      return t.slice(0, at) + ch + t.slice(at + 1)
    })
    const random = fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 24 })
    fc.assert(fc.property(fc.oneof(mutated, random), (text) => {
      expect(outcome(fromBase64, text)).toEqual(outcome(protocolFromBase64, text))
    }), { numRuns: 2_000 })
  })
  it('rejects non-canonical padding bits, missing padding, url-safe and whitespace forms with TypeError', () => {
    for (const text of ['AB==', 'AAB=', 'AA', 'AA=', '-_8=', 'AA A', 'AAAA\n', 'A===']) expect(() => fromBase64(text)).toThrow(TypeError)
    expect(() => fromBase64(1 as unknown as string)).toThrow(TypeError)
    expect(fromBase64('')).toEqual(new Uint8Array(0))
  })
  it('returns a plain Uint8Array whose slice() copies', () => {
    const out = fromBase64('AQID')
    expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype)
    const copy = out.slice()
    copy[0] = 9
    expect(out[0]).toBe(1)
  })
})

describe('AEAD on unaligned views', () => {
  it('seals and opens bytes at any byte offset exactly as an aligned copy', async () => {
    const { aeadDecrypt, aeadEncrypt, seededRandom } = await import('../src/index.js')
    const key = new Uint8Array(32).fill(5)
    const backing = Uint8Array.from({ length: 5_003 }, (_, i) => i & 0xff)
    for (const offset of [0, 1, 2, 3, 41]) {
      const view = backing.subarray(offset, offset + 4_999)
      const sealed = aeadEncrypt(key, view, undefined, seededRandom(new Uint8Array(32).fill(offset)))
      expect(sealed).toEqual(aeadEncrypt(key, view.slice(), undefined, seededRandom(new Uint8Array(32).fill(offset))))
      const shifted = new Uint8Array(sealed.length + 3)
      shifted.set(sealed, 3)
      expect(aeadDecrypt(key, shifted.subarray(3))).toEqual(view)
    }
  })
})
