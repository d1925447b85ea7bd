/**
 * The file stream sealed on a worker thread (src/file-seal-worker.ts): `DeferredFileSealer`'s
 * layout on this thread and `FILE_SEAL_WORKER_SOURCE` run in a real `node:worker_threads`
 * worker must write exactly FileSealer's bytes — the fixed vectors, and random multi-chunk files
 * cut into segments the way the client's upload loop cuts them — and the plaintext's SHA-256.
 */
import { Worker } from 'node:worker_threads'
import { inspect } from 'node:util'
import { createHash, randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from 'vitest'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { sha256 } from '@noble/hashes/sha2.js'
import {
  DeferredFileSealer, FILE_CHUNK_BYTES, FILE_SEAL_WORKER_SOURCE, FILE_SEALED_CHUNK_BYTES, FileSealer, fileCiphertextSize, nodeNativeProvider, openFile, sealFile,
  seededRandom, type FileSealJob,
} from '../src/index.js'
import vectors from './vectors/file-stream.json' with { type: 'json' }
import { vectorPlaintext } from './vectors/build-file-stream.js'

const sym = nodeNativeProvider()
const random = (n: number) => seededRandom(new Uint8Array(32).fill(n))
const workers: Worker[] = []
afterEach(async () => void (await Promise.all(workers.splice(0).map((w) => w.terminate()))))

type Answer = { buf?: Uint8Array; digest?: Uint8Array; error?: string }
function start(d: DeferredFileSealer): (msg: object, transfer?: ArrayBuffer[]) => Promise<Answer> {
  const w = new Worker(FILE_SEAL_WORKER_SOURCE, { eval: true, workerData: d.workerData })
  workers.push(w)
  return (msg, transfer = []) => new Promise<Answer>((resolve, reject) => {
    w.once('message', resolve)
    w.once('error', reject)
    w.postMessage(msg, transfer)
  })
}

/**
 * Seals `plain` as the upload loop does: fed in `piece`-byte pieces, a chunk at a time, into
 * segment buffers of `room` bytes sealed by the worker when full. Returns the stream and digest.
 */
async function sealOnWorker(key: Uint8Array, plain: Uint8Array, seed: number, room: number, shared = false, piece = 9973): Promise<{ sealed: Uint8Array; digest: Uint8Array }> {
  const d = new DeferredFileSealer(key, { random: random(seed), sym })
  const ask = start(d)
  const segments: Uint8Array[] = []
  let buf: Uint8Array = shared ? new Uint8Array(new SharedArrayBuffer(room)) : new Uint8Array(room)
  buf.set(d.header)
  let fill = d.header.length
  const flush = async () => {
    const job = d.takeJob()
    if (job && shared) expect(await ask({ buf, ...job })).toEqual({ done: true }) // sealed in place
    else if (job) buf = (await ask({ buf, ...job }, [buf.buffer as ArrayBuffer])).buf! // transferred there and back
    segments.push(buf.slice(0, fill))
    fill = 0
  }
  for (let off = 0; off < plain.length; off += piece) {
    const p = plain.subarray(off, off + piece)
    for (let o = 0; o < p.length; o += FILE_CHUNK_BYTES) {
      const part = p.subarray(o, o + FILE_CHUNK_BYTES)
      if (fill + d.sealedBytesFor(part.length) > room) await flush()
      fill = d.pushInto(part, buf, fill)
    }
  }
  if (fill + d.finalBytes > room) await flush()
  fill = d.finishInto(buf, fill)
  await flush()
  const digest = (await ask({ digest: true })).digest!
  return { sealed: Buffer.concat(segments), digest }
}

describe('file stream sealed on a worker thread', () => {
  it.each(vectors.vectors.map((v, i) => [v.size, v, i] as const))('vector of size %i: the recorded bytes and the plaintext hash', async (_size, v, i) => {
    const plain = vectorPlaintext(v.size, i)
    const { sealed, digest } = await sealOnWorker(hexToBytes(v.keyHex), plain, v.saltSeed, 2 * FILE_SEALED_CHUNK_BYTES + 100)
    expect(sealed.length).toBe(v.sealedLength)
    if (v.sealedHex) expect(bytesToHex(sealed)).toBe(v.sealedHex)
    expect(bytesToHex(sealed.subarray(0, 81))).toBe(v.sealedHeadHex)
    expect(bytesToHex(sha256(sealed))).toBe(v.sealedSha256)
    expect(bytesToHex(digest)).toBe(bytesToHex(sha256(plain)))
  })

  it.each([['transferred', false], ['shared', true]] as const)('random multi-segment files seal to FileSealer\'s bytes (segment edges on and off chunk edges; %s buffers)', async (_kind, shared) => {
    const key = new Uint8Array(randomBytes(32))
    for (const [size, room] of [[5 * FILE_CHUNK_BYTES, 2 * FILE_SEALED_CHUNK_BYTES], [7 * FILE_CHUNK_BYTES + 12_345, 3 * FILE_SEALED_CHUNK_BYTES + 77], [1 << 20, 1 << 18]] as const) {
      const plain = new Uint8Array(randomBytes(size))
      const { sealed, digest } = await sealOnWorker(key, plain, size % 251, room, shared)
      const reference = sealFile(key, plain, { random: random(size % 251), sym })
      expect(sealed.length).toBe(fileCiphertextSize(size))
      expect(Buffer.compare(sealed, reference)).toBe(0)
      expect(Buffer.from(digest).toString('hex')).toBe(createHash('sha256').update(plain).digest('hex'))
      expect(Buffer.compare(openFile(key, sealed, { sym }), plain)).toBe(0)
    }
  })

  it('control: the layout alone is plaintext (the worker really seals), at FileSealer\'s offsets', () => {
    const key = new Uint8Array(32).fill(3)
    const plain = new Uint8Array(randomBytes(3 * FILE_CHUNK_BYTES + 5))
    const d = new DeferredFileSealer(key, { random: random(1), sym })
    const s = new FileSealer(key, { random: random(1), sym })
    expect(Buffer.compare(d.header, s.header)).toBe(0)
    expect(inspect(d)).not.toMatch(/encKey/) // the keys are not printed with the sealer
    expect(d.workerData.encKey).toHaveLength(32)
    const a = new Uint8Array(fileCiphertextSize(plain.length))
    const b = new Uint8Array(a.length)
    let at = d.header.length
    let bt = at
    for (let off = 0; off < plain.length; off += 50_000) {
      const p = plain.subarray(off, off + 50_000)
      expect(d.sealedBytesFor(p.length)).toBe(s.sealedBytesFor(p.length))
      at = d.pushInto(p, a, at)
      bt = s.pushInto(p, b, bt)
      expect(at).toBe(bt)
    }
    expect(d.finalBytes).toBe(s.finalBytes)
    expect(d.finishInto(a, at)).toBe(s.finishInto(b, bt))
    expect(Buffer.compare(a.subarray(d.header.length, d.header.length + FILE_CHUNK_BYTES), plain.subarray(0, FILE_CHUNK_BYTES))).toBe(0)
    expect(d.takeJob()).toEqual({ from: d.header.length, count: 4, index: 0, lastLen: 5 } satisfies FileSealJob)
    expect(d.takeJob()).toBeNull()
  })

  it('a buffer without room is refused with RangeError, taking nothing; writing a second buffer before taking the job is refused', () => {
    const d = new DeferredFileSealer(new Uint8Array(32), { sym })
    d.pushInto(new Uint8Array(FILE_CHUNK_BYTES), new Uint8Array(0), 0)
    expect(() => d.pushInto(new Uint8Array(1), new Uint8Array(10), 0)).toThrow(RangeError)
    const out = new Uint8Array(4 * FILE_SEALED_CHUNK_BYTES)
    const end = d.pushInto(new Uint8Array(1), out, 0)
    expect(end).toBe(FILE_SEALED_CHUNK_BYTES)
    expect(() => d.pushInto(new Uint8Array(FILE_CHUNK_BYTES), new Uint8Array(4 * FILE_SEALED_CHUNK_BYTES), 0)).toThrow(/take the job/)
    expect(() => new DeferredFileSealer(new Uint8Array(31))).toThrow(RangeError)
  })

  it('a job reaching outside its buffer is answered with an error, not a crash, and the worker keeps answering', async () => {
    const d = new DeferredFileSealer(new Uint8Array(32), { sym })
    const ask = start(d)
    const buf = new Uint8Array(1000)
    const bad = await ask({ buf, from: 0, count: 1, index: 0, lastLen: -1 }, [buf.buffer])
    expect(bad.error).toMatch(/outside the segment/)
    expect((await ask({ digest: true })).digest).toBeInstanceOf(Uint8Array)
  })

  it('a job sealing a chunk twice, skipping one, past the last or malformed is refused, leaving the bytes as they were', async () => {
    const d = new DeferredFileSealer(new Uint8Array(32).fill(3), { sym })
    const ask = start(d)
    const plain = randomBytes(2 * FILE_CHUNK_BYTES)
    const h = d.header.length
    const buf = new Uint8Array(new SharedArrayBuffer(h + 3 * FILE_SEALED_CHUNK_BYTES))
    buf.set(d.header)
    let at = d.pushInto(plain, buf, h)
    const first = d.takeJob()!
    expect(first).toEqual({ from: h, count: 1, index: 0, lastLen: -1 })
    expect(Buffer.compare(buf.subarray(h, h + 16), plain.subarray(0, 16))).toBe(0)
    expect(await ask({ buf, ...first })).toEqual({ done: true }) // control: the job in sequence is sealed
    expect(Buffer.compare(buf.subarray(h, h + 16), plain.subarray(0, 16))).not.toBe(0)
    const refused = async (job: object, why: RegExp) => {
      const before = buf.slice()
      expect((await ask({ buf, ...job })).error).toMatch(why)
      expect(Buffer.compare(buf, before)).toBe(0)
    }
    await refused(first, /out of sequence/) // again: in place, it would turn chunk 0 back into plaintext's keystream XOR
    await refused({ from: h + FILE_SEALED_CHUNK_BYTES, count: 1, index: 2, lastLen: -1 }, /out of sequence/)
    await refused({ from: 0, count: 1, index: 1, lastLen: FILE_CHUNK_BYTES + 1 }, /malformed/)
    await refused({ from: -1, count: 1, index: 1, lastLen: -1 }, /malformed/)
    at = d.finishInto(buf, at)
    expect(await ask({ buf, ...d.takeJob()! })).toEqual({ done: true }) // chunk 1 and the empty last one
    await refused({ from: at, count: 1, index: 3, lastLen: 0 }, /after the last chunk/)
    expect(Buffer.compare(openFile(new Uint8Array(32).fill(3), buf.subarray(0, at) as Uint8Array, { sym }), plain)).toBe(0)
  })
})
