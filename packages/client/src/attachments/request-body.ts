/**
 * The body of an upload `PATCH`. A fetch `Uint8Array` body is a copy of the bytes (Fetch
 * standard, "extract a body"): undici allocates and copies every segment once more before
 * sending it, which at 100 MB costs a garbage collection every few segments. A
 * `ReadableStream` body is sent as it is, but browsers stream request bodies only over HTTP/2
 * (Chromium refuses them on HTTP/1.1), so the stream is used where fetch is undici — Node, and
 * the runtimes that follow it (Deno, Bun) — and bytes everywhere else, including anything with
 * a `document` (an Electron renderer has Node's `process` but Chromium's fetch).
 */

const g = globalThis as { process?: { versions?: { node?: unknown } }; document?: unknown }
/** True where fetch streams a request body over HTTP/1.1 (Node's undici, Deno, Bun). */
export const STREAMED_REQUEST_BODIES: boolean = typeof g.process?.versions?.node === 'string' && g.document === undefined

/** What a `PATCH` of `bytes` passes to fetch besides its method and headers. */
export interface SegmentBody {
  body: BodyInit
  duplex?: 'half'
}

/**
 * The request body of `bytes`; they must not change until the request has settled (a stream
 * is read while it is sent).
 * @example await fetch(url, { method: 'PATCH', headers, ...segmentBody(bytes) })
 */
export function segmentBody(bytes: Uint8Array, streamed: boolean = STREAMED_REQUEST_BODIES): SegmentBody {
  if (!streamed) return { body: bytes as Uint8Array<ArrayBuffer> }
  return {
    body: new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(bytes)
        controller.close()
      },
    }),
    duplex: 'half',
  }
}
