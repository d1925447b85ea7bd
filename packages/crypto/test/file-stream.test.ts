/**
 * The chunked file stream (src/file-stream.ts): fixed vectors through every provider, then the
 * attacks a hostile server or sender can make on a stored file — truncation, reordering,
 * dropping, duplication, extension, bit flips, a wrong key — each rejected with
 * `AttachmentCorruptError` and its reason, and properties over random sizes and cut points.
 * One test rebuilds the format from its description with noble alone.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { chacha20poly1305 } from '@noble/ciphers/chacha.js'
import { AttachmentCorruptError } from '@parley/protocol'
import {
  FILE_CHUNK_BYTES, FILE_HEADER_BYTES, FILE_SEALED_CHUNK_BYTES, FileOpener, FileSealer, fileCiphertextSize, nobleProvider, nodeNativeProvider,
  FILE_TAG_BYTES, FILE_SALT_BYTES, FILE_STREAM_LABEL, FILE_STREAM_VERSION, openFile, sealFile, seededRandom, webCryptoProvider, type CryptoProvider, type FileStreamOptions,
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

/** {@link sealFile} through `pushInto` / `finishInto` into one buffer, fed in `piece`-byte pieces. */
function sealIntoOne(k: Uint8Array, plain: Uint8Array, options: FileStreamOptions, piece = 9973): Uint8Array {
  const s = new FileSealer(k, options)
  const out = new Uint8Array(fileCiphertextSize(plain.length))
  out.set(s.header)
  let at = s.header.length
  for (let off = 0; off < plain.length; off += piece) at = s.pushInto(plain.subarray(off, off + piece), out, at)
  expect(s.finalBytes).toBe(out.length - at)
  expect(s.finishInto(out, at)).toBe(out.length)
  return out
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
  it.each(vectors.vectors.map((v, i) => [v.size, v, i] as const))('size %i seals to the same bytes through pushInto / finishInto', (_size, v, i) => {
    const sealed = sealIntoOne(hexToBytes(v.keyHex), vectorPlaintext(v.size, i), { random: random(v.saltSeed), sym: p })
    expect(bytesToHex(sealed.subarray(0, 81))).toBe(v.sealedHeadHex)
    expect(bytesToHex(sha256(sealed))).toBe(v.sealedSha256)
  })
})

describe('file stream: native and noble primitives agree', () => {
  const native = nodeNativeProvider()
  it('control: the native provider runs XChaCha20 and HMAC on node:crypto here', () => {
    expect(native.accelerated).toEqual(expect.arrayContaining(['chacha20', 'hmac-sha256']))
  })
  it('a random multi-chunk file seals to identical bytes under noble and node:crypto, through push and pushInto (10 runs)', () => {
    fc.assert(fc.property(
      fc.integer({ min: 3 * FILE_CHUNK_BYTES - 40, max: 5 * FILE_CHUNK_BYTES + 40 }), fc.integer({ min: 1, max: 2 * FILE_CHUNK_BYTES }), fc.integer({ min: 0, max: 255 }),
      (size, piece, seed) => {
        const plain = random(seed)(size)
        const viaNoble = sealFile(key, plain, { random: random(seed), sym: nobleProvider })
        expectSame(sealFile(key, plain, { random: random(seed), sym: native }), viaNoble)
        expectSame(sealIntoOne(key, plain, { random: random(seed), sym: native }, piece), viaNoble)
        expectSame(sealIntoOne(key, plain, { random: random(seed), sym: nobleProvider }, piece), viaNoble)
        expectSame(openFile(key, viaNoble, { sym: native }), plain)
      },
    ), { numRuns: 10 })
  })
})

describe('file stream: sealing into a buffer', () => {
  it('sealedBytesFor counts the chunks a push completes, never the one holding the latest byte', () => {
    const s = new FileSealer(key)
    expect(s.sealedBytesFor(0)).toBe(0)
    expect(s.sealedBytesFor(FILE_CHUNK_BYTES)).toBe(0)
    expect(s.sealedBytesFor(FILE_CHUNK_BYTES + 1)).toBe(FILE_SEALED_CHUNK_BYTES)
    expect(s.sealedBytesFor(3 * FILE_CHUNK_BYTES + 1)).toBe(3 * FILE_SEALED_CHUNK_BYTES)
    s.push(new Uint8Array(FILE_CHUNK_BYTES))
    expect(s.sealedBytesFor(1)).toBe(FILE_SEALED_CHUNK_BYTES)
    expect(s.finalBytes).toBe(FILE_CHUNK_BYTES + FILE_TAG_BYTES)
    expect(() => s.sealedBytesFor(-1)).toThrow(RangeError)
  })
  it('a buffer without room is refused with RangeError and nothing is taken; the stream then seals as if it never happened', () => {
    const plain = vectorPlaintext(2 * FILE_CHUNK_BYTES + 5, 4)
    const s = new FileSealer(key, { random: random(3) })
    const out = new Uint8Array(fileCiphertextSize(plain.length))
    out.set(s.header)
    expect(() => s.pushInto(plain, out.subarray(0, FILE_HEADER_BYTES + FILE_SEALED_CHUNK_BYTES), FILE_HEADER_BYTES)).toThrow(RangeError)
    expect(() => s.pushInto(plain, out, -1)).toThrow(RangeError)
    const at = s.pushInto(plain, out, FILE_HEADER_BYTES)
    expect(at).toBe(FILE_HEADER_BYTES + 2 * FILE_SEALED_CHUNK_BYTES)
    expect(() => s.finishInto(out, out.length - 1)).toThrow(RangeError)
    expect(s.finishInto(out, at)).toBe(out.length)
    expectSame(out, sealFile(key, plain, { random: random(3) }))
    expect(() => s.pushInto(new Uint8Array(1), out, 0)).toThrow('push after finish')
    expect(() => s.finishInto(out, 0)).toThrow('finish called twice')
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
    expect(() => openFile(key, sealed.subarray(0, FILE_HEADER_BYTES))).toThrow(/ends after its header/)
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
  it('an unknown version byte is malformed, the retired version 1 included', () => {
    expect(corrupt(sealed)).toBe('opened') // control: the stream itself opens
    for (const version of [0, 1, FILE_STREAM_VERSION + 1, 255]) {
      const bad = sealed.slice()
      bad[0] = version
      expect(corrupt(bad)).toBe('malformed')
    }
  })
  it('is the documented construction: HKDF keys, RFC 8439 ChaCha20-Poly1305 per chunk, header as AD', () => {
    // Rebuilt from docs/attachments.md with noble alone, not through FileSealer/FileOpener.
    const salt = sealed.subarray(1, 1 + FILE_SALT_BYTES)
    const okm = hkdf(sha256, key, salt, new TextEncoder().encode(FILE_STREAM_LABEL), 64)
    expectSame(sealed.subarray(1 + FILE_SALT_BYTES, FILE_HEADER_BYTES), okm.subarray(32, 64))
    const header = sealed.subarray(0, FILE_HEADER_BYTES)
    const opened: Uint8Array[] = []
    for (let i = 0, at = FILE_HEADER_BYTES; at < sealed.length; i++, at += FILE_SEALED_CHUNK_BYTES) {
      const chunk = sealed.subarray(at, at + FILE_SEALED_CHUNK_BYTES)
      const nonce = new Uint8Array(12)
      new DataView(nonce.buffer).setUint32(7, i)
      nonce[11] = at + FILE_SEALED_CHUNK_BYTES >= sealed.length ? 1 : 0
      opened.push(chacha20poly1305(okm.subarray(0, 32), nonce, header).decrypt(chunk))
    }
    expectSame(cat(...opened), plain)
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
