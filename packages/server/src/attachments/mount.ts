/**
 * Wires the attachment routes into the Parley server: the socket's `authenticate` hook and
 * suspension check for HTTP, membership from the conversation cache, expiry from the
 * conversation's retention and disappearing timer (disappearing/expiry.ts), and a purge on the
 * server's purge interval. The routes go in front of the HTTP server's other request listeners
 * (socket.io's among them), as engine.io itself mounts.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http'
import { DEFAULT_ATTACHMENTS_PATH, DEFAULT_MAX_FILE_BYTES, MAX_FILE_BYTES_CAP, UserIdSchema } from '@parley/protocol'
import { fileCiphertextSize } from '@parley/crypto'
import * as v from 'valibot'
import { memberOf, type Ctx } from '../context.js'
import { expiresAtFor } from '../disappearing/expiry.js'
import { suspendedError } from '../moderation/api.js'
import { fileAttachmentStore } from './attachment-fs.js'
import { STALE_ATTACHMENT_UPLOAD_MS, type AttachmentStore } from './attachment-store.js'
import type { AttachmentOptions } from './options.js'
import { attachmentRoutes } from './routes.js'
import { messageFiles } from './message-files.js'

/**
 * How long after its upload completed a blob outlives the conversation's timer (ms): the
 * message naming it is sent after the upload, so its own `expiresAt` is a little later.
 */
export const ATTACHMENT_SEND_GRACE_MS = 10 * 60 * 1000

/** A mounted attachment service: its store, a purge, and an unmount. */
export interface MountedAttachments {
  store: AttachmentStore
  purge(now: number): Promise<number>
  close(): Promise<void>
}

/**
 * Mounts the routes on `http` (or does nothing and returns null when attachments are off).
 * @throws {TypeError} on a bad `maxBytes` or `path`.
 */
export function mountAttachments(ctx: Ctx, http: HttpServer | undefined, options: AttachmentOptions | false | undefined, ready: Promise<void>): MountedAttachments | null {
  if (options === false) return null
  const o = options ?? {}
  const maxBytes = o.maxBytes ?? DEFAULT_MAX_FILE_BYTES
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1 || maxBytes > MAX_FILE_BYTES_CAP) throw new TypeError(`"attachments.maxBytes" expected an integer in [1, ${MAX_FILE_BYTES_CAP}]`)
  const path = o.path ?? DEFAULT_ATTACHMENTS_PATH
  if (!/^\/[A-Za-z0-9_./-]*[A-Za-z0-9_-]$/.test(path)) throw new TypeError('"attachments.path" expected an absolute URL path without a trailing slash')
  if (!http) {
    ctx.log.warn('attachments: no HTTP server to mount on (the socket.io server given as `io` has none); the attachment routes are off')
    return null
  }
  if (!o.store) ctx.log.warn('attachments: no store given: files go to a temporary directory removed on close (not for production)')
  const store = o.store ?? fileAttachmentStore()
  ctx.files = messageFiles(ctx, store) // deleted with their messages
  const handler = attachmentRoutes({
    store, path, maxSealedBytes: fileCiphertextSize(maxBytes), now: ctx.now,
    async authenticate(token, req) {
      await ready
      // The handshake the socket's hook reads: the token under `auth`, the request's headers.
      const out = await ctx.options.authenticate({
        auth: { token }, headers: req.headers, query: {}, url: req.url ?? '', address: req.socket.remoteAddress ?? '', time: new Date(ctx.now()).toString(),
        xdomain: false, secure: false, issued: ctx.now(),
      } as never)
      const userId = v.parse(UserIdSchema, out?.userId)
      const suspension = await ctx.store.moderation.suspension(userId, ctx.now())
      if (suspension) throw suspendedError(suspension)
      return userId
    },
    async checkMember(conversationId, userId) {
      await ready
      await memberOf(ctx, conversationId, userId)
    },
    async expiresAt(conversationId, now) {
      const c = await ctx.conversations.get(conversationId)
      if (!c) return now
      const at = expiresAtFor(ctx, c.encryption, c, now)
      return at === undefined ? null : at + ATTACHMENT_SEND_GRACE_MS
    },
    reportError: (e) => ctx.reportError(e, { where: 'handler', event: 'attachment' }),
  })
  const others = http.listeners('request') as ((req: IncomingMessage, res: ServerResponse) => void)[]
  http.removeAllListeners('request')
  const listener = (req: IncomingMessage, res: ServerResponse) => {
    if (handler(req, res)) return
    for (const l of others) l.call(http, req, res)
  }
  http.on('request', listener)
  return {
    store,
    purge: (now) => store.purge(now, now - STALE_ATTACHMENT_UPLOAD_MS),
    async close() {
      delete ctx.files
      http.removeListener('request', listener)
      for (const l of others) http.on('request', l)
      await store.close()
    },
  }
}
