/**
 * Chunked, key-committing AEAD for out-of-band attachments (docs/attachments.md, "File
 * stream"). The shape follows the STREAM construction (Hoang, Reyhanitabar, Rogaway, Vizár,
 * CRYPTO 2015) as age and libsodium's secretstream use it: a per-file header, fixed-size
 * chunks, each sealed under a nonce holding its index and a "last chunk" flag, so a chunk
 * cannot move, be dropped, or end the stream early without failing authentication.
 *
 * Layout (version 2, docs/decisions/0029): `header ‖ chunk_0 ‖ … ‖ chunk_n`, header =
 * `version(1) ‖ salt(16) ‖ commitment(32)`, chunk_i = ChaCha20-Poly1305 (RFC 8439) ciphertext ‖
 * tag(16), with the header as associated data. Keys: `HKDF-SHA256(key, salt, label, 64)` =
 * encKey ‖ commitment. The commitment is what makes the stream key-committing: a reader refuses
 * any key whose commitment differs before opening a chunk, so one stream opens under one key
 * only, though Poly1305 alone would not bind it. encKey is new for every file (the salt), so the
 * chunk nonce needs no random part: `0(7) ‖ u32be(i) ‖ last(1)`, as in age. Every chunk but the
 * last holds exactly FILE_CHUNK_BYTES of plaintext; the last holds 0..FILE_CHUNK_BYTES (an empty
 * file is one empty last chunk). Version 1 (XChaCha20 + HMAC-SHA256 per chunk) was never in a
 * release and is refused as an unknown version.
 *
 * Pure: bytes in, bytes out, no I/O; memory is one chunk whatever the file size.
 */
import { AttachmentCorruptError } from '@parley/protocol'
import { abytes } from './_assert.js'
import { equalBytes } from './_bytes.js'
import { label } from './kdf.js'
import { nobleSymmetric } from './provider/_noble-symmetric.js'
import type { SymmetricPrimitives } from './provider/provider.js'
import { systemRandom, type RandomSource } from './random.js'

/** Format version byte of the header. */
export const FILE_STREAM_VERSION = 2
/** Bytes of a file key. */
export const FILE_KEY_BYTES = 32
/** Bytes of the header's random salt. */
export const FILE_SALT_BYTES = 16
/** Bytes of the header's key commitment. */
export const FILE_COMMITMENT_BYTES = 32
/** Bytes of the header: version, salt, commitment. */
export const FILE_HEADER_BYTES = 1 + FILE_SALT_BYTES + FILE_COMMITMENT_BYTES
/** Plaintext bytes of every chunk but the last (64 KiB: one chunk of memory, 0.05 % overhead). */
export const FILE_CHUNK_BYTES = 64 * 1024
/** Bytes of a chunk's tag (Poly1305). */
export const FILE_TAG_BYTES = 16
/** Bytes of a full sealed chunk. */
export const FILE_SEALED_CHUNK_BYTES = FILE_CHUNK_BYTES + FILE_TAG_BYTES
/** Most chunks a stream may have (indices 0 … MAX_FILE_CHUNKS − 1 in 32 bits, so no nonce repeats): 256 TiB, far above any size limit. */
export const MAX_FILE_CHUNKS = 0xffff_ffff
/** HKDF label of the file stream's keys. */
export const FILE_STREAM_LABEL = 'Parley_FileStream_v2'

/** Chunks of a file of `size` plaintext bytes (at least one: the last may be empty). */
export function fileChunkCount(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError(`"size" expected a non-negative integer, got ${size}`)
  return size === 0 ? 1 : Math.ceil(size / FILE_CHUNK_BYTES)
}

/**
 * Bytes of the sealed stream of a file of `size` plaintext bytes.
 * @example fileCiphertextSize(0) // 65: header 49 + one empty chunk's tag 16
 */
export function fileCiphertextSize(size: number): number {
  return FILE_HEADER_BYTES + size + fileChunkCount(size) * FILE_TAG_BYTES
}

/** A stream's chunk key and key commitment. */
export interface FileKeys { encKey: Uint8Array; commitment: Uint8Array }

function deriveFileKeys(key: Uint8Array, salt: Uint8Array, sym: SymmetricPrimitives): FileKeys {
  const okm = sym.hkdfSha256(key, salt, label(FILE_STREAM_LABEL), 64)
  return { encKey: okm.subarray(0, 32), commitment: okm.subarray(32, 64) }
}

/** Bytes of a chunk's nonce (ChaCha20-Poly1305). */
export const FILE_NONCE_BYTES = 12

/** Nonce of chunk `index`: `0(7) ‖ u32be(index) ‖ last(1)` (internal: the worker sealer writes the same). */
export function fileChunkNonce(index: number, last: boolean): Uint8Array {
  const n = new Uint8Array(FILE_NONCE_BYTES)
  new DataView(n.buffer).setUint32(7, index)
  n[11] = last ? 1 : 0
  return n
}

/** A fresh stream's keys and header (a sealer's, on this thread or a worker's: `file-seal-worker.ts`). */
export interface FileStreamSetup { keys: FileKeys; header: Uint8Array }

/**
 * Draws a salt and derives a new stream's keys and header (internal: {@link FileSealer} and
 * the worker sealer share it so both write the same bytes).
 * @throws {TypeError|RangeError} when `key` is not 32 bytes.
 */
export function fileStreamSetup(key: Uint8Array, options: FileStreamOptions = {}): FileStreamSetup {
  abytes(key, 'key', FILE_KEY_BYTES)
  const salt = (options.random ?? systemRandom)(FILE_SALT_BYTES)
  const keys = deriveFileKeys(key, salt, options.sym ?? nobleSymmetric)
  const header = new Uint8Array(FILE_HEADER_BYTES)
  header[0] = FILE_STREAM_VERSION
  header.set(salt, 1)
  header.set(keys.commitment, 1 + FILE_SALT_BYTES)
  return { keys, header }
}

/** Options of {@link FileSealer} and {@link FileOpener}. */
export interface FileStreamOptions {
  /** Symmetric primitives (a native provider's are faster); noble by default. */
  sym?: SymmetricPrimitives
  /** Randomness for the salt (sealer only). */
  random?: RandomSource
}

/**
 * Seals a file chunk by chunk. Write the header, then what {@link push} returns, then what
 * {@link finish} returns. Holds at most one chunk of plaintext.
 * @example
 * const s = new FileSealer(key)
 * const parts = [s.header, ...s.push(bytes), s.finish()]
 */
export class FileSealer {
  /** The header to write first. */
  readonly header: Uint8Array
  readonly #keys: FileKeys
  readonly #sym: SymmetricPrimitives
  #buf = new Uint8Array(FILE_CHUNK_BYTES)
  #fill = 0
  #index = 0
  #done = false

  /** @throws {TypeError|RangeError} when `key` is not 32 bytes. */
  constructor(key: Uint8Array, options: FileStreamOptions = {}) {
    this.#sym = options.sym ?? nobleSymmetric
    const setup = fileStreamSetup(key, options)
    this.#keys = setup.keys
    this.header = setup.header
  }

  #nonce(last: boolean): Uint8Array {
    if (this.#index >= MAX_FILE_CHUNKS) throw new RangeError(`a file stream holds at most ${MAX_FILE_CHUNKS} chunks`)
    return fileChunkNonce(this.#index++, last)
  }

  #seal(plain: Uint8Array, last: boolean): Uint8Array {
    return this.#sym.chacha20Poly1305Seal(this.#keys.encKey, this.#nonce(last), plain, this.header)
  }

  #sealInto(plain: Uint8Array, last: boolean, out: Uint8Array, at: number): number {
    const sealed = this.#seal(plain, last)
    out.set(sealed, at)
    return at + sealed.length
  }

  /**
   * Buffers `data`, calling `full` for each chunk it completes. A full chunk is only sealed once
   * more data follows, because only then is it known not to be the last.
   */
  #take(data: Uint8Array, full: (chunk: Uint8Array) => void): void {
    if (this.#done) throw new Error('FileSealer: push after finish')
    let off = 0
    while (off < data.length) {
      if (this.#fill === FILE_CHUNK_BYTES) {
        full(this.#buf)
        this.#fill = 0
      }
      const n = Math.min(FILE_CHUNK_BYTES - this.#fill, data.length - off)
      this.#buf.set(data.subarray(off, off + n), this.#fill)
      this.#fill += n
      off += n
    }
  }

  /**
   * Adds plaintext; returns the chunks it completed (see {@link pushInto} for the same without
   * an array per chunk).
   * @throws {Error} after {@link finish}.
   */
  push(data: Uint8Array): Uint8Array[] {
    abytes(data, 'data')
    const out: Uint8Array[] = []
    this.#take(data, (chunk) => out.push(this.#seal(chunk, false)))
    return out
  }

  /**
   * Sealed bytes that pushing `n` more plaintext bytes completes: the room {@link pushInto}
   * needs. The chunk holding the latest byte is never counted (it may be the last).
   * @example sealer.sealedBytesFor(FILE_CHUNK_BYTES + 1) // FILE_SEALED_CHUNK_BYTES on a fresh sealer
   */
  sealedBytesFor(n: number): number {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`"n" expected a non-negative integer, got ${n}`)
    const total = this.#fill + n
    return total === 0 ? 0 : Math.floor((total - 1) / FILE_CHUNK_BYTES) * FILE_SEALED_CHUNK_BYTES
  }

  /**
   * {@link push} writing the chunks it completes into `out` from `at` (same bytes), so one
   * buffer can be reused for a whole file. Returns the offset after the last byte written.
   * @throws {RangeError} when `out` lacks {@link sealedBytesFor}(data.length) bytes from `at`
   * (nothing is taken then). @throws {Error} after {@link finish}.
   */
  pushInto(data: Uint8Array, out: Uint8Array, at: number): number {
    abytes(data, 'data')
    abytes(out, 'out')
    if (this.#done) throw new Error('FileSealer: push after finish')
    const need = this.sealedBytesFor(data.length)
    if (!Number.isSafeInteger(at) || at < 0 || at + need > out.length) throw new RangeError(`"out" expected room for ${need} bytes at ${at}, has length=${out.length}`)
    this.#take(data, (chunk) => (at = this.#sealInto(chunk, false, out, at)))
    return at
  }

  /** Sealed bytes {@link finish} returns (the buffered rest and its tag). */
  get finalBytes(): number {
    return this.#fill + FILE_TAG_BYTES
  }

  /** Seals the last chunk (possibly empty) and returns it. */
  finish(): Uint8Array {
    return this.#end((plain) => this.#seal(plain, true))
  }

  /**
   * {@link finish} written into `out` from `at`; returns the offset after it.
   * @throws {RangeError} when `out` lacks {@link finalBytes} bytes from `at` (the sealer stays open).
   */
  finishInto(out: Uint8Array, at: number): number {
    abytes(out, 'out')
    if (this.#done) throw new Error('FileSealer: finish called twice')
    if (!Number.isSafeInteger(at) || at < 0 || at + this.finalBytes > out.length) throw new RangeError(`"out" expected room for ${this.finalBytes} bytes at ${at}, has length=${out.length}`)
    return this.#end((plain) => this.#sealInto(plain, true, out, at))
  }

  #end<T>(seal: (plain: Uint8Array) => T): T {
    if (this.#done) throw new Error('FileSealer: finish called twice')
    this.#done = true
    const out = seal(this.#buf.subarray(0, this.#fill))
    this.#buf.fill(0)
    return out
  }
}

/**
 * Opens a sealed file stream fed in pieces of any size (header included). Returns verified
 * plaintext only: a chunk's bytes are released after its tag checked, and the end of the
 * stream is only accepted on a chunk sealed as the last.
 * @example
 * const o = new FileOpener(key)
 * const plain = [...o.push(sealed), o.finish()]
 */
export class FileOpener {
  readonly #key: Uint8Array
  readonly #sym: SymmetricPrimitives
  #keys: FileKeys | null = null
  #header: Uint8Array | null = null
  #buf = new Uint8Array(FILE_SEALED_CHUNK_BYTES + FILE_HEADER_BYTES)
  #fill = 0
  #index = 0
  #done = false

  /** @throws {TypeError|RangeError} when `key` is not 32 bytes. */
  constructor(key: Uint8Array, options: FileStreamOptions = {}) {
    this.#key = abytes(key, 'key', FILE_KEY_BYTES)
    this.#sym = options.sym ?? nobleSymmetric
  }

  /** Index of the next chunk to open (for progress and error details). */
  get chunkIndex(): number {
    return this.#index
  }

  #readHeader(): void {
    const h = this.#buf.slice(0, FILE_HEADER_BYTES)
    if (h[0] !== FILE_STREAM_VERSION) throw new AttachmentCorruptError(`unknown file stream version ${h[0]}`, { reason: 'malformed' })
    const keys = deriveFileKeys(this.#key, h.subarray(1, 1 + FILE_SALT_BYTES), this.#sym)
    if (!equalBytes(keys.commitment, h.subarray(1 + FILE_SALT_BYTES))) throw new AttachmentCorruptError('the key does not match the file\'s commitment', { reason: 'key_commitment' })
    this.#keys = keys
    this.#header = h
    this.#buf.copyWithin(0, FILE_HEADER_BYTES, this.#fill)
    this.#fill -= FILE_HEADER_BYTES
  }

  #open(sealed: Uint8Array, last: boolean): Uint8Array | null {
    if (this.#index >= MAX_FILE_CHUNKS) return null // no sealer writes past it (the nonce would wrap)
    return this.#sym.chacha20Poly1305Open(this.#keys!.encKey, fileChunkNonce(this.#index, last), sealed, this.#header!)
  }

  /**
   * Adds sealed bytes; returns the plaintext of the chunks they completed. A full chunk is
   * opened only once a byte after it arrived (so it is known not to be the last).
   * @throws {AttachmentCorruptError} `key_commitment`, `malformed` or `tampered` (a chunk
   * that fails, moved, or a last chunk followed by more bytes).
   */
  push(data: Uint8Array): Uint8Array[] {
    abytes(data, 'data')
    if (this.#done) throw new Error('FileOpener: push after finish')
    const out: Uint8Array[] = []
    let off = 0
    while (off < data.length) {
      const room = this.#buf.length - this.#fill
      const n = Math.min(room, data.length - off)
      this.#buf.set(data.subarray(off, off + n), this.#fill)
      this.#fill += n
      off += n
      if (!this.#keys && this.#fill >= FILE_HEADER_BYTES) this.#readHeader()
      while (this.#keys && this.#fill > FILE_SEALED_CHUNK_BYTES) {
        const plain = this.#open(this.#buf.subarray(0, FILE_SEALED_CHUNK_BYTES), false)
        if (!plain) throw new AttachmentCorruptError(`chunk ${this.#index} fails authentication`, { reason: 'tampered', chunk: this.#index })
        out.push(plain)
        this.#index++
        this.#buf.copyWithin(0, FILE_SEALED_CHUNK_BYTES, this.#fill)
        this.#fill -= FILE_SEALED_CHUNK_BYTES
      }
    }
    return out
  }

  /**
   * Ends the stream: opens the remaining bytes as the last chunk.
   * @throws {AttachmentCorruptError} `truncated` (the stream ends after a chunk not sealed as
   * the last, or inside the header), `tampered` (the last bytes fail).
   */
  finish(): Uint8Array {
    if (this.#done) throw new Error('FileOpener: finish called twice')
    this.#done = true
    if (!this.#keys) throw new AttachmentCorruptError('the stream ends inside its header', { reason: 'truncated' })
    const rest = this.#buf.subarray(0, this.#fill)
    const plain = this.#open(rest, true)
    if (plain) return plain
    if (rest.length === 0 && this.#index === 0) throw new AttachmentCorruptError('the stream ends after its header, without a chunk', { reason: 'truncated', chunk: 0 })
    if (rest.length === 0 || this.#open(rest, false)) throw new AttachmentCorruptError(`the stream ends after chunk ${this.#index - (rest.length === 0 ? 1 : 0)}, which is not its last`, { reason: 'truncated', chunk: this.#index })
    throw new AttachmentCorruptError(`chunk ${this.#index} fails authentication`, { reason: 'tampered', chunk: this.#index })
  }
}

/**
 * Seals a whole file in memory (tests, vectors, small files).
 * @example openFile(key, sealFile(key, bytes)) // bytes
 */
export function sealFile(key: Uint8Array, data: Uint8Array, options: FileStreamOptions = {}): Uint8Array {
  const s = new FileSealer(key, options)
  const parts = [s.header, ...s.push(data), s.finish()]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}

/**
 * Opens a whole sealed file in memory.
 * @throws {AttachmentCorruptError} as {@link FileOpener}.
 */
export function openFile(key: Uint8Array, sealed: Uint8Array, options: Omit<FileStreamOptions, 'random'> = {}): Uint8Array {
  const o = new FileOpener(key, options)
  const parts = [...o.push(sealed), o.finish()]
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let off = 0
  for (const p of parts) {
    out.set(p, off)
    off += p.length
  }
  return out
}
