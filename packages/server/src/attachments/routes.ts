/**
 * The attachment HTTP routes (docs/attachments.md, "HTTP"), in the manner of tus 1.0 (a
 * `POST` creates, `PATCH` appends at `Upload-Offset`, `HEAD` tells the offset after a cut):
 *
 *   POST   {path}        { conversationId, size } → 201 { id, offset: 0, size }   members only
 *   HEAD   {path}/{id}   → 200, Upload-Offset, Upload-Length                       uploader only
 *   PATCH  {path}/{id}   Upload-Offset: n, body = bytes → 204, Upload-Offset       uploader only
 *   GET    {path}/{id}   [Range: bytes=n-] → 200/206, the sealed bytes            members only
 *   DELETE {path}/{id}   → 204                                                     uploader only
 *
 * Every request carries `Authorization: Bearer <token>`, the token the socket sends, checked
 * by the same `authenticate` hook. Bodies are streamed to and from the store with
 * backpressure: memory per request is a few chunks whatever the file size. Errors are the
 * socket's wire errors as JSON `{ error }` with a matching HTTP status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import * as v from 'valibot'
import {
  AttachmentCreateSchema, AttachmentIdSchema, errorToWire, InvalidFrameError, NotFoundError, ParleyError, PayloadTooLargeError,
  UnauthorizedError, UploadOffsetError, type AttachmentCreate,
} from '@parley/protocol'
import { isComplete, type AttachmentStore } from './attachment-store.js'

/** Largest `POST` body (JSON `{ conversationId, size }`). */
export const MAX_CREATE_BODY_BYTES = 1024
/** Bytes gathered from the socket before one store write. */
export const WRITE_BATCH_BYTES = 1024 * 1024
/** HTTP status of each error code the routes return; anything else is 500. */
const STATUS: Record<string, number> = {
  invalid_frame: 400, payload_too_large: 413, unauthorized: 401, device_proof_failed: 401, forbidden: 403, account_suspended: 403,
  not_found: 404, upload_offset_mismatch: 409, rate_limited: 429, store_error: 503, conversation_closed: 403,
}

/** What the routes need from the server around them (wired in mount.ts). */
export interface AttachmentRouteDeps {
  store: AttachmentStore
  path: string
  /** Largest sealed upload in bytes. */
  maxSealedBytes: number
  now(): number
  /** The user a bearer token belongs to. @throws a ParleyError (or anything: 401). */
  authenticate(token: string, req: IncomingMessage): Promise<string>
  /** @throws NotFoundError / ForbiddenError when `userId` is not a member of the conversation. */
  checkMember(conversationId: string, userId: string): Promise<void>
  /** When an attachment of the conversation completed now should expire, or null. */
  expiresAt(conversationId: string, now: number): Promise<number | null>
  reportError(error: unknown): void
}

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string | number> = {}): void {
  const text = body === undefined ? undefined : JSON.stringify(body)
  res.writeHead(status, { 'Cache-Control': 'no-store', ...(text ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) } : {}), ...headers })
  res.end(text)
}

function fail(res: ServerResponse, e: unknown, deps: AttachmentRouteDeps): void {
  if (!ParleyError.isInstance(e)) deps.reportError(e)
  const wire = errorToWire(e)
  if (res.headersSent) {
    res.destroy()
    return
  }
  send(res, STATUS[wire.code] ?? 500, { error: wire }, wire.code === 'upload_offset_mismatch' && typeof wire.details?.offset === 'number' ? { 'Upload-Offset': wire.details.offset } : {})
}

async function readSmallBody(req: IncomingMessage): Promise<string> {
  let text = ''
  for await (const chunk of req) {
    text += chunk
    if (text.length > MAX_CREATE_BODY_BYTES) throw new PayloadTooLargeError('attachment create body too large')
  }
  return text
}

function parseCreate(text: string): AttachmentCreate {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new InvalidFrameError('attachment create body is not JSON')
  }
  const r = v.safeParse(AttachmentCreateSchema, json)
  if (!r.success) throw new InvalidFrameError('invalid attachment create body', { issues: r.issues.map((i) => ({ path: (i.path ?? []).map((p) => String(p.key)).join('.'), message: i.message })) })
  return r.output
}

function headerInt(req: IncomingMessage, name: string): number {
  const raw = req.headers[name]
  if (typeof raw !== 'string' || !/^\d{1,16}$/.test(raw)) throw new InvalidFrameError(`"${name}" header expected a non-negative integer`)
  return Number(raw)
}

/**
 * The request handler; resolves true when the request was one of ours (and is answered).
 * Never throws: every failure is answered as a wire error.
 */
export function attachmentRoutes(deps: AttachmentRouteDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const { store, path } = deps

  async function user(req: IncomingMessage): Promise<string> {
    const auth = req.headers.authorization
    if (typeof auth !== 'string' || !auth.startsWith('Bearer ') || auth.length === 7) throw new UnauthorizedError('missing bearer token')
    return deps.authenticate(auth.slice(7), req)
  }

  async function ownUpload(id: string, userId: string) {
    const rec = await store.get(id)
    // Another user's upload is "not found": the routes never tell whose ids exist.
    if (!rec || rec.uploader !== userId) throw new NotFoundError('unknown attachment', { resource: 'attachment', id })
    return rec
  }

  async function create(req: IncomingMessage, res: ServerResponse, userId: string): Promise<void> {
    const body = parseCreate(await readSmallBody(req))
    await deps.checkMember(body.conversationId, userId)
    if (body.size > deps.maxSealedBytes) throw new PayloadTooLargeError(`attachment exceeds ${deps.maxSealedBytes} sealed bytes`)
    const id = randomBytes(16).toString('base64url')
    await store.create({ id, conversationId: body.conversationId, uploader: userId, size: body.size, createdAt: deps.now() })
    send(res, 201, { id, offset: 0, size: body.size }, { Location: `${path}/${id}` })
  }

  async function append(req: IncomingMessage, res: ServerResponse, id: string, userId: string): Promise<void> {
    const rec = await ownUpload(id, userId)
    const offset = headerInt(req, 'upload-offset')
    if (req.headers['content-type'] !== 'application/offset+octet-stream') throw new InvalidFrameError('PATCH expects Content-Type: application/offset+octet-stream')
    const w = await store.writer(id, offset)
    if (w === null) throw new NotFoundError('unknown attachment', { resource: 'attachment', id })
    if (w === 'offset' || w === 'busy') throw new UploadOffsetError(w === 'busy' ? 'another request is writing this upload' : 'offset mismatch', { offset: rec.offset })
    let at = offset
    let error: unknown
    // Socket reads arrive in ~64 KiB pieces; the store gets them in WRITE_BATCH_BYTES batches
    // (one awaited write per piece left the socket idle between writes).
    let batch: Buffer[] = []
    let batched = 0
    const drain = async () => {
      if (batched === 0) return
      const bytes = batch.length === 1 ? batch[0]! : Buffer.concat(batch, batched)
      batch = []
      batched = 0
      await w.write(bytes)
    }
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        if (at + chunk.length > rec.size) throw new PayloadTooLargeError('bytes beyond the declared size')
        batch.push(chunk)
        batched += chunk.length
        at += chunk.length
        if (batched >= WRITE_BATCH_BYTES) await drain()
      }
    } catch (e) {
      error = e
    }
    // What arrived before a cut is written too, then kept.
    try {
      await drain()
    } catch (e) {
      error ??= e
    }
    // The client resumes from the offset HEAD reports.
    at = await w.end(deps.now())
    if (error) throw ParleyError.isInstance(error) ? error : new InvalidFrameError('upload interrupted')
    if (at === rec.size) await store.setExpiry(id, await deps.expiresAt(rec.conversationId, deps.now()))
    send(res, 204, undefined, { 'Upload-Offset': at })
  }

  async function download(req: IncomingMessage, res: ServerResponse, id: string, userId: string): Promise<void> {
    const rec = await store.get(id)
    if (!rec || !isComplete(rec)) throw new NotFoundError('unknown attachment', { resource: 'attachment', id })
    await deps.checkMember(rec.conversationId, userId)
    if (rec.expiresAt !== null && rec.expiresAt <= deps.now()) throw new NotFoundError('unknown attachment', { resource: 'attachment', id })
    const range = req.headers.range
    let start = 0
    if (typeof range === 'string') {
      const m = /^bytes=(\d{1,16})-$/.exec(range)
      if (!m || Number(m[1]) >= rec.size) throw new InvalidFrameError('Range expected "bytes=<start>-" inside the attachment')
      start = Number(m[1])
    }
    res.writeHead(start ? 206 : 200, {
      'Content-Type': 'application/octet-stream', 'Content-Length': rec.size - start, 'Cache-Control': 'no-store', 'Accept-Ranges': 'bytes',
      ...(start ? { 'Content-Range': `bytes ${start}-${rec.size - 1}/${rec.size}` } : {}),
    })
    await pipeline(Readable.from(store.read(id, start)), res).catch((e: NodeJS.ErrnoException) => {
      // The reader hung up: nothing to answer and nothing to report.
      if (e.code !== 'ERR_STREAM_PREMATURE_CLOSE') throw e
    })
  }

  async function route(req: IncomingMessage, res: ServerResponse, rest: string): Promise<void> {
    const userId = await user(req)
    if (rest === '') {
      if (req.method !== 'POST') return send(res, 405, undefined, { Allow: 'POST' })
      return create(req, res, userId)
    }
    const id = rest.slice(1)
    if (!v.is(AttachmentIdSchema, id)) throw new NotFoundError('unknown attachment', { resource: 'attachment' })
    switch (req.method) {
      case 'HEAD': {
        const rec = await ownUpload(id, userId)
        return send(res, 200, undefined, { 'Upload-Offset': rec.offset, 'Upload-Length': rec.size })
      }
      case 'PATCH':
        return append(req, res, id, userId)
      case 'GET':
        return download(req, res, id, userId)
      case 'DELETE':
        await ownUpload(id, userId)
        await store.remove(id)
        return send(res, 204)
      default:
        return send(res, 405, undefined, { Allow: 'HEAD, PATCH, GET, DELETE' })
    }
  }

  return (req, res) => {
    const url = req.url ?? ''
    const q = url.indexOf('?')
    const pathname = q >= 0 ? url.slice(0, q) : url
    if (pathname !== path && !pathname.startsWith(`${path}/`)) return false
    void route(req, res, pathname.slice(path.length)).catch((e) => {
      // Drain what the client still sends, so it reads the answer instead of a reset.
      req.resume()
      fail(res, e, deps)
    })
    return true
  }
}
