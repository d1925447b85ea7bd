/**
 * The chunked file stream (src/file-stream.ts): fixed vectors through every provider, then the
 * attacks a hostile server or sender can make on a stored file — truncation, reordering,
 * dropping, duplication, extension, bit flips, a wrong key — each rejected with
 * `AttachmentCorruptError` and its reason, and properties over random sizes and cut points.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { AttachmentCorruptError } from '@parley/protocol'
import {
  FILE_CHUNK_BYTES, FILE_HEADER_BYTES, FILE_SEALED_CHUNK_BYTES, FileOpener, FileSealer, fileCiphertextSize, nobleProvider, nodeNativeProvider,
  openFile, sealFile, seededRandom, webCryptoProvider, type CryptoProvider,
} from '../src/index.js'
import vectors from './vectors/file-stream.json' with { type: 'json' }
import { vectorPlaintext } from './vectors/build-file-stream.js'

const providers: CryptoProvider[] = [nobleProvider, nodeNativeProvider(), webCryptoProvider()]
const key = new Uint8Array(32).fill(7)
const random = (n: number) => seededRandom(new Uint8Array(32).fill(n))

/** Byte equality without vitest's element-by-element diff (seconds per MiB). */
function expectSame(a: Uint8Array, b: Uint8Array): void {
  expect(a.length).toBe(b.length)
  expect(Buffer.compare(a, b)).toBe(0)
}

function corrupt(sealed: Uint8Array, sym?: CryptoProvider): string {
  try {
    openFile(key, sealed, sym ? { sym } : {})
  } catch (e) {
    if (AttachmentCorruptError.isInstance(e)) return e.details.reason ?? 'none'
    throw e
  }
  return 'opened'
}

function chunkAt(sealed: Uint8Array, i: number): Uint8Array {
  const start = FILE_HEADER_BYTES + i * FILE_SEALED_CHUNK_BYTES
  return sealed.slice(start, start + FILE_SEALED_CHUNK_BYTES)
}

function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) (out.set(p, off), (off += p.length))
  return out
}

describe.each(providers.map((p) => [p.name, p] as const))('file stream vectors through the %s provider', (_name, p) => {
  it.each(vectors.vectors.map((v, i) => [v.size, v, i] as const))('size %i seals to the recorded bytes and opens back', (_size, v, i) => {
    const k = hexToBytes(v.keyHex)
    const plain = vectorPlaintext(v.size, i)
    const sealed = sealFile(k, plain, { random: random(v.saltSeed), sym: p })
    expect(sealed.length).toBe(v.sealedLength)
    expect(sealed.length).toBe(fileCiphertextSize(v.size))
    if (v.sealedHex) expect(bytesToHex(sealed)).toBe(v.sealedHex)
    expect(bytesToHex(sealed.subarray(0, 81))).toBe(v.sealedHeadHex)
    expect(bytesToHex(sha256(sealed))).toBe(v.sealedSha256)
    expectSame(openFile(k, sealed, { sym: p }), plain)
  })
})

describe('file stream attacks', () => {
  const plain = vectorPlaintext(3 * FILE_CHUNK_BYTES + 100, 3)
  const sealed = sealFile(key, plain, { random: random(1) })

  it('control: the untouched stream opens, fed in odd-sized pieces', () => {
    const o = new FileOpener(key)
    const out: Uint8Array[] = []
    for (let off = 0; off < sealed.length; off += 9973) out.push(...o.push(sealed.subarray(off, off + 9973)))
    out.push(o.finish())
    expectSame(cat(...out), plain)
  })
  it('a flipped bit in any chunk, the header salt or a tag is tampered / key_commitment', () => {
    for (const at of [FILE_HEADER_BYTES + 5, FILE_HEADER_BYTES + FILE_SEALED_CHUNK_BYTES + 1, sealed.length - 1]) {
      const bad = sealed.slice()
      bad[at]! ^= 1
      expect(corrupt(bad)).toBe('tampered')
    }
    const salt = sealed.slice()
    salt[3]! ^= 1
    expect(corrupt(salt)).toBe('key_commitment')
  })
  it('a wrong key is refused by the header commitment before any chunk', () => {
    expect(() => new FileOpener(new Uint8Array(32).fill(8)).push(sealed.subarray(0, FILE_HEADER_BYTES))).toThrow(AttachmentCorruptError)
  })
  it('two chunks swapped, a chunk dropped, or a chunk duplicated is tampered', () => {
    const h = sealed.subarray(0, FILE_HEADER_BYTES)
    const last = sealed.subarray(FILE_HEADER_BYTES + 3 * FILE_SEALED_CHUNK_BYTES)
    expect(corrupt(cat(h, chunkAt(sealed, 1), chunkAt(sealed, 0), chunkAt(sealed, 2), last))).toBe('tampered')
    expect(corrupt(cat(h, chunkAt(sealed, 0), chunkAt(sealed, 2), last))).toBe('tampered')
    expect(corrupt(cat(h, chunkAt(sealed, 0), chunkAt(sealed, 0), chunkAt(sealed, 1), chunkAt(sealed, 2), last))).toBe('tampered')
  })
  it('a stream cut at a chunk boundary is truncated; cut in the header too', () => {
    expect(corrupt(sealed.subarray(0, FILE_HEADER_BYTES + 2 * FILE_SEALED_CHUNK_BYTES))).toBe('truncated')
    expect(corrupt(sealed.subarray(0, FILE_HEADER_BYTES))).toBe('truncated')
    expect(corrupt(sealed.subarray(0, 10))).toBe('truncated')
  })
  it('a stream cut inside a chunk, or extended after its last chunk, is tampered', () => {
    expect(corrupt(sealed.subarray(0, sealed.length - 7))).toBe('tampered')
    expect(corrupt(cat(sealed, new Uint8Array(1)))).toBe('tampered')
    expect(corrupt(cat(sealed, chunkAt(sealed, 0)))).toBe('tampered')
  })
  it('chunks of another file under the same key do not splice in (salted keys)', () => {
    const other = sealFile(key, plain, { random: random(2) })
    expect(corrupt(cat(sealed.subarray(0, FILE_HEADER_BYTES + FILE_SEALED_CHUNK_BYTES), other.subarray(FILE_HEADER_BYTES + FILE_SEALED_CHUNK_BYTES)))).toBe('tampered')
  })
  it('an unknown version byte is malformed', () => {
    const bad = sealed.slice()
    bad[0] = 2
    expect(corrupt(bad)).toBe('malformed')
  })
})

// The properties run on the native primitives (the vectors above tie them to noble's bytes).
const sym = nodeNativeProvider()

describe('file stream properties', () => {
  it('any size, pushed in any pieces, opens to the same bytes (25 runs)', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 2 * FILE_CHUNK_BYTES + 10 }), fc.integer({ min: 4096, max: 100_000 }), (size, piece) => {
      const plain = vectorPlaintext(size, size)
      const s = new FileSealer(key, { sym })
      const parts = [s.header]
      for (let off = 0; off < size; off += piece) parts.push(...s.push(plain.subarray(off, off + piece)))
      parts.push(s.finish())
      const sealed = cat(...parts)
      expect(sealed.length).toBe(fileCiphertextSize(size))
      expectSame(openFile(key, sealed, { sym }), plain)
    }), { numRuns: 25 })
  })
  it('every proper prefix of a stream is refused, never opened (100 runs)', () => {
    const sealedSmall = sealFile(key, vectorPlaintext(2 * FILE_CHUNK_BYTES + 17, 9), { sym })
    fc.assert(fc.property(fc.integer({ min: 0, max: sealedSmall.length - 1 }), (cut) => {
      expect(['truncated', 'tampered']).toContain(corrupt(sealedSmall.subarray(0, cut), sym))
    }), { numRuns: 100 })
  })
})
