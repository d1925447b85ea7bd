/**
 * Uploading a file out of band (docs/attachments.md, "Upload"): read the source piece by
 * piece, hash the plaintext (what franking commits to), seal it as the chunked file stream
 * under a fresh key, and send the sealed bytes in segments of `UPLOAD_SEGMENT_BYTES` with
 * `PATCH` at their offset. After a cut the client asks `HEAD` for the server's offset and
 * resends from there (the current segment is still in memory). Memory: two segments, whatever
 * the file size. Sealing and hashing run on a worker thread in Node for large files
 * (upload-sealing.ts, seal-worker.ts), on this thread elsewhere: the same bytes either way.
 */
import { ForbiddenError, toBase64, UploadOffsetError, type FileRef } from '@parley/protocol'
import { FILE_CHUNK_BYTES, fileCiphertextSize, systemRandom, type RandomSource, type SymmetricPrimitives } from '@parley/crypto'
import { httpError, isNetworkError, type AttachmentEndpoint } from './http.js'
import { segmentBody, STREAMED_REQUEST_BODIES } from './request-body.js'
import { WORKER_SEAL_MIN_BYTES, workerSealing } from './seal-worker.js'
import { mainThreadSealing, type UploadSealing } from './upload-sealing.js'
import type { SizedSource } from './source.js'

/**
 * Most sealed bytes per `PATCH` (whole sealed chunks, so a little less): segments, because a
 * browser cannot stream a request body over HTTP/1.1 and a cut segment is resent from memory.
 */
export const UPLOAD_SEGMENT_BYTES = 8 * 1024 * 1024
/** Times one segment is resumed after a broken connection before the upload fails. */
export const MAX_TRANSFER_ATTEMPTS = 4
/** Wait before resuming, times the attempt number (ms). */
const RESUME_BACKOFF_MS = 100

/** Progress of an upload or download, in sealed bytes. */
export interface AttachmentProgress {
  /** Bytes acknowledged by the server (upload) or received (download). */
  bytes: number
  /** All bytes of the sealed file. */
  total: number
}

/** An uploaded file: what a message carries for it (franked) — no bytes. */
export interface UploadedFile {
  file: FileRef
  /** Plaintext bytes. */
  size: number
  /** Base64 SHA-256 of the plaintext. */
  sha256: string
}

/** Options of an upload. */
export interface UploadOptions {
  onProgress?: (p: AttachmentProgress) => void
  sym?: SymmetricPrimitives
}

/** Options of {@link uploadFile} not offered to apps (tests compare the two sealing paths with them). */
export interface UploadInternals {
  /**
   * Seal and hash on a worker thread: default where Node's worker threads exist and bodies are
   * streamed, for files of at least `WORKER_SEAL_MIN_BYTES`; ignored elsewhere.
   */
  sealOnWorker?: boolean
  /** Randomness for the file key and salt (a fixed one makes the paths' bytes comparable). */
  random?: RandomSource
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function create(ep: AttachmentEndpoint, conversationId: string, size: number): Promise<string> {
  const res = await ep.fetch(ep.base, {
    method: 'POST', headers: { Authorization: `Bearer ${await ep.token()}`, 'Content-Type': 'application/json' }, body: JSON.stringify({ conversationId, size }),
  })
  if (res.status !== 201) throw await httpError(res)
  const body = (await res.json()) as { id?: unknown }
  if (typeof body.id !== 'string' || !/^[A-Za-z0-9_-]{22}$/.test(body.id)) throw new ForbiddenError('the server answered an upload without a valid id')
  return body.id
}

async function serverOffset(ep: AttachmentEndpoint, id: string): Promise<number> {
  const res = await ep.fetch(`${ep.base}/${id}`, { method: 'HEAD', headers: { Authorization: `Bearer ${await ep.token()}` } })
  if (!res.ok) throw await httpError(res)
  const offset = Number(res.headers.get('upload-offset'))
  if (!Number.isSafeInteger(offset) || offset < 0) throw new UploadOffsetError('the server answered HEAD without an offset')
  return offset
}

/**
 * Sends `bytes` (sealed stream at `offset`), resuming after a cut from the server's offset.
 * @throws {UploadOffsetError} when the server's offset is outside this segment (another writer).
 */
async function sendSegment(ep: AttachmentEndpoint, id: string, offset: number, bytes: Uint8Array): Promise<void> {
  let at = offset
  let rest = bytes
  for (let attempt = 1; ; attempt++) {
    let failure: unknown
    try {
      const res = await ep.fetch(`${ep.base}/${id}`, {
        method: 'PATCH', ...segmentBody(rest, ep.streamBodies),
        headers: { Authorization: `Bearer ${await ep.token()}`, 'Upload-Offset': String(at), 'Content-Type': 'application/offset+octet-stream' },
      })
      if (res.status === 204) return
      failure = await httpError(res)
      if (!UploadOffsetError.isInstance(failure)) throw failure
    } catch (e) {
      if (!isNetworkError(e) && !UploadOffsetError.isInstance(e)) throw e
      failure = e
    }
    if (attempt >= MAX_TRANSFER_ATTEMPTS) throw failure
    await wait(RESUME_BACKOFF_MS * attempt)
    // Resume: what the server holds of this segment is kept; send the rest.
    const held = await serverOffset(ep, id)
    if (held < offset || held > offset + bytes.length) throw new UploadOffsetError('the server holds an offset outside the segment being sent', { offset: held })
    if (held === offset + bytes.length) return
    at = held
    rest = bytes.subarray(held - offset)
  }
}

/**
 * Seals and uploads a file for a conversation.
 * @throws {RangeError} when the source yields more or fewer bytes than its size.
 * @throws a typed server error (`ForbiddenError` outside the conversation, `PayloadTooLargeError` above the server's limit, …).
 */
export async function uploadFile(ep: AttachmentEndpoint, conversationId: string, source: SizedSource, options: UploadOptions & UploadInternals = {}): Promise<UploadedFile> {
  const total = fileCiphertextSize(source.size)
  const random = options.random ?? systemRandom
  const key = random(32)
  const stream = { ...(options.sym ? { sym: options.sym } : {}), random }
  // The worker's shared segment buffers go out only as streamed bodies: a fetch `Uint8Array`
  // body over a SharedArrayBuffer is refused (Node 20) or mangled (Node 24).
  const onWorker = (ep.streamBodies ?? STREAMED_REQUEST_BODIES) && (options.sealOnWorker ?? source.size >= WORKER_SEAL_MIN_BYTES)
  // Started before the POST, so the thread boots (tens of ms, more under load) meanwhile.
  const sealing = (onWorker ? workerSealing(key, stream) : null) ?? mainThreadSealing(key, stream)
  try {
    const id = await create(ep, conversationId, total)
    const digest = await sendSealed(ep, id, source, total, sealing, options)
    return { file: { id, key: toBase64(key) }, size: source.size, sha256: toBase64(digest) }
  } finally {
    await sealing.close()
  }
}

/** The upload loop: fills, seals and sends segments; returns the plaintext's SHA-256. */
async function sendSealed(ep: AttachmentEndpoint, id: string, source: SizedSource, total: number, sealing: UploadSealing, options: UploadOptions): Promise<Uint8Array> {
  // Two segment buffers used in turn, sealed into directly: one in flight (kept until the server
  // acknowledged it, to resume from), one being filled and sealed — on a worker, if any — while
  // it is sent. Memory: two segments, whatever the file size, and no allocation per segment.
  const room = Math.min(UPLOAD_SEGMENT_BYTES, total) // a small file gets a small buffer
  const buffers: Uint8Array[] = [sealing.buffer(room), sealing.buffer(total > room ? room : 0)]
  let current = 0
  buffers[0]!.set(sealing.header)
  let fill = sealing.header.length
  let sent = 0
  let inflight: Promise<void> = Promise.resolve()
  const flush = async () => {
    const index = current
    // Sealed (a worker's job) while the other buffer's segment is still in flight.
    const sealed = sealing.seal(buffers[index]!).then((b) => void (buffers[index] = b))
    await Promise.all([sealed, inflight]) // the other buffer is free once its segment is acknowledged
    const segment = buffers[index]!.subarray(0, fill)
    const at = sent
    sent += segment.length
    inflight = sendSegment(ep, id, at, segment).then(() => options.onProgress?.({ bytes: at + segment.length, total }))
    inflight.catch(() => undefined) // awaited (and thrown) at the next flush or the end
    current ^= 1
    fill = 0
  }
  let read = 0
  for await (const piece of source.pieces()) {
    read += piece.length
    if (read > source.size) throw new RangeError(`the source yielded more than its size ${source.size}`)
    // A chunk's worth at a time, so at most one sealed chunk is written per step.
    for (let off = 0; off < piece.length; off += FILE_CHUNK_BYTES) {
      const part = piece.subarray(off, off + FILE_CHUNK_BYTES)
      if (fill + sealing.sealedBytesFor(part.length) > room) await flush()
      fill = sealing.pushInto(part, buffers[current]!, fill)
    }
  }
  if (read !== source.size) throw new RangeError(`the source yielded ${read} bytes, not its size ${source.size}`)
  if (fill + sealing.finalBytes > room) await flush()
  fill = sealing.finishInto(buffers[current]!, fill)
  await flush()
  await inflight
  return sealing.digest()
}
