/**
 * The file stream (file-stream.ts) sealed on a worker thread, for Node uploads (docs/attachments.md,
 * "What keeps a 100 MB transfer cheap"): the thread that runs both HTTP ends of an upload no
 * longer pays for ChaCha20-Poly1305 and the plaintext's SHA-256.
 *
 * Split in two, neither doing I/O or creating threads (the client hosts the worker):
 * - {@link DeferredFileSealer}, on the caller's thread: the same `pushInto` / `finishInto` layout
 *   as {@link FileSealer} (same offsets), but it copies each completed chunk's plaintext to its
 *   place in the segment and leaves the tag's room empty; {@link DeferredFileSealer.takeJob}
 *   then names the run of chunks written since the last job.
 * - {@link FILE_SEAL_WORKER_SOURCE}, the worker's script: hashes each chunk's plaintext and
 *   seals it in place with OpenSSL's ChaCha20-Poly1305 (the `node:crypto` provider's) under the
 *   file's chunk key, the chunk nonce `0(7) ‖ u32be(i) ‖ last(1)` and the header as associated
 *   data. Only `node:crypto`'s primitives, no hand-rolled ones; `file-seal-worker.test.ts`
 *   checks it writes FileSealer's bytes.
 */
import { abytes } from './_assert.js'
import { FILE_CHUNK_BYTES, FILE_SEALED_CHUNK_BYTES, FILE_TAG_BYTES, fileStreamSetup, MAX_FILE_CHUNKS, type FileStreamOptions } from './file-stream.js'

/** What the worker is started with (`workerData`): one file's keys and header, no more. */
export interface FileSealWorkerData {
  /** The ChaCha20-Poly1305 key of every chunk. */
  encKey: Uint8Array
  header: Uint8Array
}

/**
 * A run of chunks to seal in place in `buf`: `count` chunks from offset `from`, the first
 * numbered `index`; all full but the final one when `lastLen` ≥ 0 (it is the stream's last,
 * holding `lastLen` plaintext bytes). The worker answers `{ done: true }` for a buffer over a
 * `SharedArrayBuffer`, `{ buf }` (transferred back) for any other, or `{ error }`;
 * `{ digest: true }` asks for the SHA-256 of all plaintext sealed, answered `{ digest }`.
 */
export interface FileSealJob { from: number; count: number; index: number; lastLen: number }

/**
 * The worker's script (CommonJS, for `new Worker(source, { eval: true, workerData })`): only
 * `node:crypto` and `node:worker_threads`, so it needs no file on disk and no bundler.
 */
export const FILE_SEAL_WORKER_SOURCE = `'use strict'
const { parentPort, workerData } = require('node:worker_threads')
const { createCipheriv, createHash } = require('node:crypto')
const { encKey, header } = workerData
const CHUNK = ${FILE_CHUNK_BYTES}, TAG = ${FILE_TAG_BYTES}
const hash = createHash('sha256')
const nonce = new Uint8Array(12)
const nonceView = new DataView(nonce.buffer)
function sealChunk(buf, at, len, index, last) {
  nonceView.setUint32(7, index)
  nonce[11] = last ? 1 : 0
  const plain = buf.subarray(at, at + len)
  hash.update(plain)
  const cipher = createCipheriv('chacha20-poly1305', encKey, nonce, { authTagLength: TAG })
  cipher.setAAD(header, { plaintextLength: len })
  buf.set(cipher.update(plain), at)
  cipher.final()
  buf.set(cipher.getAuthTag(), at + len)
}
// The worker keeps its own place in the stream, so a job cannot seal a chunk twice (in-place
// sealing would then leave plaintext behind), skip one, or reuse a nonce.
let next = 0
let ended = false
parentPort.on('message', (m) => {
  try {
    if (m.digest) return parentPort.postMessage({ digest: new Uint8Array(hash.digest()) })
    if (ended) throw new Error('a job after the last chunk')
    if (m.index !== next || !Number.isSafeInteger(m.count) || m.count < 1 || next + m.count > ${MAX_FILE_CHUNKS}) throw new RangeError('job out of sequence')
    if (!Number.isSafeInteger(m.lastLen) || m.lastLen < -1 || m.lastLen > CHUNK || !Number.isSafeInteger(m.from) || m.from < 0) throw new RangeError('malformed job')
    // The whole run must fit before anything is sealed: a job is sealed entirely or not at all.
    const ends = m.lastLen >= 0
    if (m.from + (m.count - (ends ? 1 : 0)) * (CHUNK + TAG) + (ends ? m.lastLen + TAG : 0) > m.buf.length) throw new RangeError('chunk outside the segment')
    let at = m.from
    for (let i = 0; i < m.count; i++) {
      const last = ends && i === m.count - 1
      const len = last ? m.lastLen : CHUNK
      sealChunk(m.buf, at, len, next++, last)
      at += len + TAG
    }
    ended = ends
    // A shared segment stays where it is (no object, and no external memory, per answer);
    // a transferred one goes back.
    if (m.buf.buffer instanceof SharedArrayBuffer) parentPort.postMessage({ done: true })
    else parentPort.postMessage({ buf: m.buf }, [m.buf.buffer])
  } catch (e) {
    parentPort.postMessage({ error: String((e && e.message) || e) })
  }
})
`

/**
 * {@link FileSealer}'s layout without its crypto: `pushInto` / `finishInto` take the same
 * arguments and return the same offsets, writing plaintext where the sealed chunk goes; a worker
 * running {@link FILE_SEAL_WORKER_SOURCE} on {@link workerData} seals each {@link takeJob} in place.
 * Holds one chunk of plaintext, as FileSealer does.
 * @example
 * const d = new DeferredFileSealer(key, { sym })
 * out.set(d.header); let at = d.pushInto(bytes, out, d.header.length); at = d.finishInto(out, at)
 * worker.postMessage({ buf: out, ...d.takeJob() }, [out.buffer])
 */
export class DeferredFileSealer {
  /** The header to write first. */
  readonly header: Uint8Array
  readonly #workerData: FileSealWorkerData
  #buf = new Uint8Array(FILE_CHUNK_BYTES)
  #fill = 0
  #index = 0
  #done = false
  #job: FileSealJob | null = null
  #out: Uint8Array | null = null

  /** @throws {TypeError|RangeError} when `key` is not 32 bytes. */
  constructor(key: Uint8Array, options: FileStreamOptions = {}) {
    const { keys, header } = fileStreamSetup(key, options)
    this.header = header
    this.#workerData = { encKey: keys.encKey.slice(), header }
  }

  /** What the worker needs (`workerData`): secret keys, so a getter — the sealer prints without them. */
  get workerData(): FileSealWorkerData {
    return this.#workerData
  }

  /** As {@link FileSealer.sealedBytesFor}. */
  sealedBytesFor(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"n" expected a non-negative integer, got ${n}`)
    const total = this.#fill + n
    return total === 0 ? 0 : Math.floor((total - 1) / FILE_CHUNK_BYTES) * FILE_SEALED_CHUNK_BYTES
  }

  /** As {@link FileSealer.finalBytes}. */
  get finalBytes(): number {
    return this.#fill + FILE_TAG_BYTES
  }

  /** Records chunk(s) of `len` plaintext bytes written at `at` of `out`; one run per job, in one buffer. */
  #record(out: Uint8Array, at: number, len: number, last: boolean): number {
    if (this.#index >= MAX_FILE_CHUNKS) throw new RangeError(`a file stream holds at most ${MAX_FILE_CHUNKS} chunks`)
    const job = this.#job
    if (job && (this.#out !== out || at !== job.from + job.count * FILE_SEALED_CHUNK_BYTES)) {
      throw new Error('DeferredFileSealer: take the job before writing elsewhere')
    }
    out.set(this.#buf.subarray(0, len), at)
    if (job) job.count++
    else this.#job = { from: at, count: 1, index: this.#index, lastLen: -1 }
    if (last) this.#job!.lastLen = len
    this.#out = out
    this.#index++
    return at + len + FILE_TAG_BYTES
  }

  /**
   * As {@link FileSealer.pushInto}, the chunks left for the worker to seal.
   * @throws {RangeError} when `out` lacks room (nothing is taken then). @throws {Error} after {@link finishInto}.
   */
  pushInto(data: Uint8Array, out: Uint8Array, at: number): number {
    abytes(data, 'data')
    abytes(out, 'out')
    if (this.#done) throw new Error('DeferredFileSealer: push after finish')
    const need = this.sealedBytesFor(data.length)
    if (!Number.isSafeInteger(at) || at < 0 || at + need > out.length) throw new RangeError(`"out" expected room for ${need} bytes at ${at}, has length=${out.length}`)
    let off = 0
    while (off < data.length) {
      if (this.#fill === FILE_CHUNK_BYTES) {
        at = this.#record(out, at, FILE_CHUNK_BYTES, false)
        this.#fill = 0
      }
      const n = Math.min(FILE_CHUNK_BYTES - this.#fill, data.length - off)
      this.#buf.set(data.subarray(off, off + n), this.#fill)
      this.#fill += n
      off += n
    }
    return at
  }

  /**
   * As {@link FileSealer.finishInto}: writes the last chunk (possibly empty) for the worker.
   * @throws {RangeError} when `out` lacks {@link finalBytes} bytes from `at`.
   */
  finishInto(out: Uint8Array, at: number): number {
    abytes(out, 'out')
    if (this.#done) throw new Error('DeferredFileSealer: finish called twice')
    if (!Number.isSafeInteger(at) || at < 0 || at + this.finalBytes > out.length) throw new RangeError(`"out" expected room for ${this.finalBytes} bytes at ${at}, has length=${out.length}`)
    this.#done = true
    const end = this.#record(out, at, this.#fill, true)
    this.#buf.fill(0)
    return end
  }

  /** The chunks written since the last job (to seal before their bytes are sent), or null. */
  takeJob(): FileSealJob | null {
    const job = this.#job
    this.#job = null
    this.#out = null
    return job
  }
}
