/**
 * What binds an out-of-band attachment's bytes is the franked size and SHA-256, not the file
 * stream alone (docs/decisions/0029). Poly1305 does not commit to its nonce for whoever holds
 * the key, so a sender can make one 64 KiB chunk whose tag holds both as the stream's last chunk
 * and as a middle one followed by an empty last chunk: two streams, both opened by `openFile`,
 * whose plaintexts differ though their sizes are equal. The download (src/attachments/download.ts)
 * refuses whichever one the message does not commit to: the wrong hash (`hash_mismatch`), or the
 * wrong stream length (`size_mismatch`). The construction below is attack code for this test
 * only: solving one ciphertext block so both tags agree (Poly1305 is linear in each block).
 */
import { describe, expect, it } from 'vitest'
import { createHash, randomBytes } from 'node:crypto'
import { chacha20 } from '@noble/ciphers/chacha.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { AttachmentCorruptError, toBase64, type AttachmentMeta } from '@parley/protocol'
import { FILE_CHUNK_BYTES, FILE_STREAM_LABEL, FILE_STREAM_VERSION, fileCiphertextSize, nobleProvider, nodeNativeProvider, openFile } from '@parley/crypto'
import { streamFile } from '../src/attachments/download.js'
import type { AttachmentEndpoint } from '../src/attachments/http.js'

const P = (1n << 130n) - 5n
const M128 = (1n << 128n) - 1n
const le = (b: Uint8Array) => b.reduceRight((x, v) => (x << 8n) | BigInt(v), 0n)
const toLe = (x: bigint, n: number) => Uint8Array.from({ length: n }, (_, i) => Number((x >> BigInt(8 * i)) & 0xffn))
const mod = (x: bigint) => ((x % P) + P) % P
const pow = (b: bigint, e: bigint): bigint => (e === 0n ? 1n : (e & 1n ? mod(b * pow(b, e - 1n)) : pow(mod(b * b), e / 2n)))
const nonce = (i: number, last: boolean) => { const n = new Uint8Array(12); new DataView(n.buffer).setUint32(7, i); n[11] = last ? 1 : 0; return n }
/** Poly1305's one-time key (RFC 8439 §2.6) of the chunk nonce: r clamped, s. */
function oneTimeKey(key: Uint8Array, n: Uint8Array) {
  const ks = chacha20(key, n, new Uint8Array(32))
  return { r: le(ks.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn, s: le(ks.subarray(16, 32)) }
}
/** Poly1305's blocks of RFC 8439's AEAD input: AD and ciphertext padded to 16, then the lengths. */
function blocks(ad: Uint8Array, ct: Uint8Array): bigint[] {
  const padded = (b: Uint8Array) => { const o = new Uint8Array(Math.ceil(b.length / 16) * 16); o.set(b); return o }
  const d = new Uint8Array([...padded(ad), ...padded(ct), ...toLe(BigInt(ad.length), 8), ...toLe(BigInt(ct.length), 8)])
  const out: bigint[] = []
  for (let i = 0; i < d.length; i += 16) out.push(le(d.subarray(i, i + 16)) + (1n << 128n))
  return out
}
const poly = (m: bigint[], r: bigint) => m.reduce((h, b) => mod((h + b) * r), 0n)

/** A key, and two streams under it that both open: one chunk as the last, or the same chunk then an empty last one. */
function equivocatingStreams() {
  const key = randomBytes(32)
  const salt = randomBytes(16)
  const okm = hkdf(sha256, key, salt, new TextEncoder().encode(FILE_STREAM_LABEL), 64)
  const encKey = okm.subarray(0, 32)
  const header = new Uint8Array([FILE_STREAM_VERSION, ...salt, ...okm.subarray(32)])
  const k0 = oneTimeKey(encKey, nonce(0, false))
  const k1 = oneTimeKey(encKey, nonce(0, true))
  for (let trial = 0; trial < 64; trial++) {
    const ct = randomBytes(FILE_CHUNK_BYTES)
    ct.fill(0, FILE_CHUNK_BYTES - 16) // the last block is the unknown
    const m = blocks(header, ct)
    const j = m.length - 2 // the ciphertext's last block (then the lengths block)
    m[j] = 0n
    const a0 = poly(m, k0.r)
    const a1 = poly(m, k1.r)
    const e = BigInt(m.length - j)
    const inv = pow(mod(pow(k0.r, e) - pow(k1.r, e)), P - 2n)
    for (let k = -4n; k <= 4n; k++) {
      const x = mod((((k1.s - k0.s) & M128) + k * (1n << 128n) - (a0 - a1)) * inv - (1n << 128n))
      if (x > M128) continue
      ct.set(toLe(x, 16), FILE_CHUNK_BYTES - 16)
      const mm = blocks(header, ct)
      const t0 = (poly(mm, k0.r) + k0.s) & M128
      if (t0 !== ((poly(mm, k1.r) + k1.s) & M128)) continue
      const chunk0 = new Uint8Array([...ct, ...toLe(t0, 16)])
      const emptyLast = nodeNativeProvider().chacha20Poly1305Seal(encKey, nonce(1, true), new Uint8Array(0), header)
      return { key, short: new Uint8Array([...header, ...chunk0]), long: new Uint8Array([...header, ...chunk0, ...emptyLast]) }
    }
  }
  throw new Error('no solution in 64 trials')
}

/** An endpoint whose GET serves `bytes` with their true length. */
const serving = (bytes: Uint8Array): AttachmentEndpoint => ({
  base: 'http://127.0.0.1:9/a', token: async () => 't',
  fetch: (async () => new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.length) } })) as typeof fetch,
})

async function download(ep: AttachmentEndpoint, meta: AttachmentMeta): Promise<string> {
  try {
    for await (const _ of streamFile(ep, meta, { sym: nodeNativeProvider() })) void _
    return 'opened'
  } catch (e) {
    if (AttachmentCorruptError.isInstance(e)) return e.details.reason ?? 'none'
    throw e
  }
}

describe('a sender equivocating on the last chunk', () => {
  const { key, short, long } = equivocatingStreams()
  const shortPlain = openFile(key, short, { sym: nobleProvider })
  const longPlain = openFile(key, long, { sym: nobleProvider })
  const meta = (plain: Uint8Array): AttachmentMeta => ({
    name: 'f', mime: 'application/octet-stream', size: plain.length, sha256: createHash('sha256').update(plain).digest('base64'),
    file: { id: 'AAAAAAAAAAAAAAAAAAAAAA', key: toBase64(key) },
  })

  it('the stream alone does not tell: both open, on every provider, to different bytes of the same size', () => {
    for (const sym of [nobleProvider, nodeNativeProvider()]) {
      expect(Buffer.compare(openFile(key, short, { sym }), shortPlain)).toBe(0)
      expect(Buffer.compare(openFile(key, long, { sym }), longPlain)).toBe(0)
    }
    expect(shortPlain.length).toBe(FILE_CHUNK_BYTES)
    expect(longPlain.length).toBe(FILE_CHUNK_BYTES)
    expect(Buffer.compare(shortPlain, longPlain)).not.toBe(0)
    expect(short.length).toBe(fileCiphertextSize(FILE_CHUNK_BYTES)) // the short one even has the canonical length
  })

  it('control: each stream downloads when the message commits to its own plaintext', async () => {
    expect(await download(serving(short), meta(shortPlain))).toBe('opened')
    // The long one has a chunk too many for its size, so no committed size makes it canonical:
    // its plaintext's size gives the short stream's length, and the download stops at that.
    expect(await download(serving(long), meta(longPlain))).toBe('size_mismatch')
  })

  it('the download refuses the stream the message does not commit to: hash, or length', async () => {
    expect(await download(serving(short), meta(longPlain))).toBe('hash_mismatch')
    expect(await download(serving(long), meta(shortPlain))).toBe('size_mismatch')
  })
})
