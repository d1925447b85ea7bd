/**
 * Uploading a file out of band (docs/attachments.md, "Upload"): read the source piece by
 * piece, hash the plaintext (what franking commits to), seal it as the chunked file stream
 * under a fresh key, and send the sealed bytes in segments of `UPLOAD_SEGMENT_BYTES` with
 * `PATCH` at their offset. After a cut the client asks `HEAD` for the server's offset and
 * resends from there (the current segment is still in memory). Memory: one segment, whatever
 * the file size.
 */
import { ForbiddenError, toBase64, UploadOffsetError, type FileRef } from '@parley/protocol'
import { FileSealer, fileCiphertextSize, sha256Stream, systemRandom, type SymmetricPrimitives } from '@parley/crypto'
import { httpError, isNetworkError, type AttachmentEndpoint } from './http.js'
import type { SizedSource } from './source.js'

/** Sealed bytes per `PATCH` (a browser cannot stream a request body over HTTP/1.1, so segments). */
export const UPLOAD_SEGMENT_BYTES = 4 * 1024 * 1024
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
        method: 'PATCH', body: rest as Uint8Array<ArrayBuffer>,
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
export async function uploadFile(ep: AttachmentEndpoint, conversationId: string, source: SizedSource, options: UploadOptions = {}): Promise<UploadedFile> {
  const total = fileCiphertextSize(source.size)
  const id = await create(ep, conversationId, total)
  const key = systemRandom(32)
  const sealer = new FileSealer(key, options.sym ? { sym: options.sym } : {})
  const hash = sha256Stream()
  let parts: Uint8Array[] = [sealer.header]
  let buffered = sealer.header.length
  let sent = 0
  // One segment in flight while the next is sealed: sealing and sending overlap, memory stays
  // at two segments.
  let inflight: Promise<void> = Promise.resolve()
  const flush = async () => {
    const segment = new Uint8Array(buffered)
    let off = 0
    for (const p of parts) (segment.set(p, off), (off += p.length))
    parts = []
    buffered = 0
    await inflight
    const at = sent
    sent += segment.length
    inflight = sendSegment(ep, id, at, segment).then(() => options.onProgress?.({ bytes: at + segment.length, total }))
    inflight.catch(() => undefined) // awaited (and thrown) at the next flush or the end
  }
  let read = 0
  for await (const piece of source.pieces()) {
    read += piece.length
    if (read > source.size) throw new RangeError(`the source yielded more than its size ${source.size}`)
    hash.update(piece)
    for (const sealed of sealer.push(piece)) {
      parts.push(sealed)
      buffered += sealed.length
      if (buffered >= UPLOAD_SEGMENT_BYTES) await flush()
    }
  }
  if (read !== source.size) throw new RangeError(`the source yielded ${read} bytes, not its size ${source.size}`)
  const last = sealer.finish()
  parts.push(last)
  buffered += last.length
  await flush()
  await inflight
  return { file: { id, key: toBase64(key) }, size: source.size, sha256: toBase64(hash.digest()) }
}
