/**
 * What `send()` and `client.attachments.upload()` take as a file: bytes, a `Blob` (a browser
 * `File`), or any async iterable of bytes (a Node `Readable`, a web `ReadableStream` in
 * runtimes where it is iterable) with its `size` given. Read piece by piece, never whole.
 */
import { MAX_FILE_BYTES_CAP } from '@parley/protocol'

/** A file's bytes, in any of the forms `send()` accepts. */
export type AttachmentSource = Uint8Array | Blob | AsyncIterable<Uint8Array>

/** Largest piece handed on at once from an in-memory source (keeps each step's output small). */
export const SOURCE_PIECE_BYTES = 1024 * 1024

/** A source with a known size, read as pieces. */
export interface SizedSource {
  size: number
  pieces(): AsyncIterable<Uint8Array>
}

function isAsyncIterable(x: unknown): x is AsyncIterable<Uint8Array> {
  return typeof x === 'object' && x !== null && typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
}

/**
 * The source as pieces with its size.
 * @throws {TypeError} for a source of another type, or an iterable without `size`.
 * @throws {RangeError} when the size is negative or above `MAX_FILE_BYTES_CAP`.
 */
export function sizedSource(data: unknown, size: unknown, name: string): SizedSource {
  if (data instanceof Uint8Array) {
    return {
      size: data.length,
      async *pieces() {
        for (let off = 0; off < data.length; off += SOURCE_PIECE_BYTES) yield data.subarray(off, off + SOURCE_PIECE_BYTES)
      },
    }
  }
  if (typeof Blob !== 'undefined' && data instanceof Blob) {
    return {
      size: data.size,
      async *pieces() {
        const reader = data.stream().getReader()
        for (;;) {
          const { done, value } = await reader.read()
          if (done) return
          yield value
        }
      },
    }
  }
  if (isAsyncIterable(data)) {
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0 || size > MAX_FILE_BYTES_CAP) {
      throw new (typeof size === 'number' ? RangeError : TypeError)(`"${name}.size" expected an integer in [0, ${MAX_FILE_BYTES_CAP}] for a streamed source`)
    }
    return {
      size,
      async *pieces() {
        for await (const piece of data) {
          if (!(piece instanceof Uint8Array)) throw new TypeError(`"${name}.data" yielded something other than Uint8Array`)
          yield piece
        }
      },
    }
  }
  throw new TypeError(`"${name}.data" expected Uint8Array, Blob or an async iterable of Uint8Array`)
}
