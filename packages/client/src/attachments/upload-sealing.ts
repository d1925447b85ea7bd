/**
 * How an upload seals and hashes its file (docs/attachments.md, "What keeps a 100 MB transfer
 * cheap"): on this thread (`FileSealer` + `sha256Stream`, every runtime), or, in Node for large
 * files, on a worker thread (seal-worker.ts) so the thread that also runs the HTTP requests does
 * not pay for the crypto. Both write the same bytes at the same offsets: the upload loop
 * (upload.ts) does not know which one it has.
 */
import { FileSealer, sha256Stream, type FileStreamOptions } from '@parley/crypto'

/** A file being sealed into segment buffers, and its plaintext hash. */
export interface UploadSealing {
  /** A segment buffer of `bytes` (the upload has two, reused for the whole file). */
  buffer(bytes: number): Uint8Array
  /** The stream's header: the first bytes of the first segment. */
  readonly header: Uint8Array
  /** As `FileSealer.sealedBytesFor`: room `pushInto` needs for `n` more bytes. */
  sealedBytesFor(n: number): number
  /** As `FileSealer.finalBytes`. */
  readonly finalBytes: number
  /** Adds plaintext, writing completed chunks into `out` from `at` (as `FileSealer.pushInto`). */
  pushInto(data: Uint8Array, out: Uint8Array, at: number): number
  /** Ends the file into `out` from `at` (as `FileSealer.finishInto`). */
  finishInto(out: Uint8Array, at: number): number
  /**
   * Completes the segment `out` (a {@link buffer}) before it is sent; returns the buffer to send
   * and reuse: `out` itself, or a new view of the same memory if it was transferred.
   */
  seal(out: Uint8Array): Promise<Uint8Array>
  /** SHA-256 of the plaintext, once everything was pushed and the last segment sealed. */
  digest(): Promise<Uint8Array>
  /** Releases what the sealing holds (the worker); idempotent, also after an error. */
  close(): Promise<void>
}

/**
 * Sealing and hashing on this thread: sealed as pushed, so `seal` has nothing left to do.
 * @example const s = mainThreadSealing(key, { sym })
 */
export function mainThreadSealing(key: Uint8Array, options: FileStreamOptions = {}): UploadSealing {
  const sealer = new FileSealer(key, options)
  const hash = sha256Stream()
  return {
    buffer: (bytes) => new Uint8Array(bytes),
    header: sealer.header,
    sealedBytesFor: (n) => sealer.sealedBytesFor(n),
    get finalBytes() {
      return sealer.finalBytes
    },
    pushInto(data, out, at) {
      const end = sealer.pushInto(data, out, at) // throws before hashing: nothing was taken
      hash.update(data)
      return end
    },
    finishInto: (out, at) => sealer.finishInto(out, at),
    seal: async (out) => out,
    digest: async () => hash.digest(),
    close: async () => undefined,
  }
}
