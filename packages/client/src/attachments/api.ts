/**
 * `client.attachments` (docs/attachments.md): upload a file for a conversation, download or
 * stream a received one, and the step `send()` runs first, which uploads every attachment that
 * is not small inline bytes and puts its franked reference in the message instead. Inline
 * attachments (Uint8Array ≤ `MAX_ATTACHMENT_BYTES`) keep the old path unchanged (decision 0018).
 */
import { DEFAULT_MAX_FILE_BYTES, MAX_ATTACHMENT_BYTES, MessageBlockedError, NotFoundError, type AttachmentMeta, type SendResult } from '@parley/protocol'
import type { CryptoProvider } from '@parley/crypto'
import type { Conversation } from '../conversations/conversation.js'
import type { OutgoingAttachment, SendInput } from '../types.js'
import { attachmentsBase, httpError, resolveToken, type AttachmentEndpoint } from './http.js'
import { downloadFile, streamFile, type DownloadOptions } from './download.js'
import { sizedSource } from './source.js'
import { checkSendInput } from '../delivery/send-input.js'
import { checkThumbnail, sealedRef, thumbnailOf } from './thumbnail.js'
import { uploadFile, type AttachmentProgress, type UploadOptions } from './upload.js'

/** An attachment uploaded ahead of `send()`: pass it in `attachments` as is. */
export interface UploadedAttachment extends AttachmentMeta {
  file: NonNullable<AttachmentMeta['file']>
  /** Empty: the bytes are on the server. */
  data: Uint8Array
}

/** What the attachments API needs from the client. */
export interface AttachmentsHost {
  url: string
  attachmentsUrl?: string | undefined
  token: string | (() => string | Promise<string>)
  provider(): Promise<CryptoProvider | undefined>
  /** Largest file `download()` assembles in memory. */
  maxDownloadBytes?: number | undefined
}

/** True when an outgoing attachment travels inline (the path from before out-of-band attachments). */
export function isInline(a: OutgoingAttachment): boolean {
  return a.data instanceof Uint8Array && a.data.length <= MAX_ATTACHMENT_BYTES && !('file' in a && a.file) && a.thumbnail === undefined
}

/** `client.attachments`. */
export class Attachments {
  readonly #host: AttachmentsHost
  readonly #endpoint: AttachmentEndpoint

  constructor(host: AttachmentsHost) {
    this.#host = host
    this.#endpoint = { base: attachmentsBase(host.url, host.attachmentsUrl), token: () => resolveToken(host.token), fetch: (...a) => globalThis.fetch(...a) }
  }

  async #sym() {
    return (await this.#host.provider()) ?? undefined
  }

  /**
   * Seals and uploads a file for `conversation`; send the result in `attachments` later.
   * @throws {TypeError|RangeError} bad input. @throws a typed server error (`ForbiddenError`, `PayloadTooLargeError`, …).
   * @example
   * const att = await client.attachments.upload(convo, { name: 'talk.mp4', mime: 'video/mp4', data: file }, { onProgress: (p) => bar(p.bytes / p.total) })
   * await convo.send({ text: 'the talk', attachments: [att] })
   */
  async upload(conversation: Conversation, attachment: OutgoingAttachment, options: Omit<UploadOptions, 'sym'> = {}): Promise<UploadedAttachment> {
    const source = sizedSource(attachment?.data, attachment?.size, 'attachment')
    const thumbnail = attachment.thumbnail === undefined ? undefined : checkThumbnail(attachment.thumbnail, 'attachment.thumbnail')
    const sym = await this.#sym()
    const up = await uploadFile(this.#endpoint, conversation.id, source, { ...options, ...(sym ? { sym } : {}) })
    return { name: attachment.name, mime: attachment.mime, size: up.size, sha256: up.sha256, file: thumbnail ? sealedRef(up.file, thumbnail) : up.file, data: new Uint8Array(0) }
  }

  /**
   * The preview a received out-of-band attachment carries (inside the franked message, so
   * available before downloading), or null when it has none.
   * @throws {AttachmentCorruptError} (`tampered`) when it does not open under the file key.
   * @example const jpeg = client.attachments.thumbnail(message.attachments[0])
   */
  thumbnail(attachment: AttachmentMeta): Uint8Array | null {
    return thumbnailOf(attachment)
  }

  /**
   * The verified plaintext of a received attachment, streamed; treat it as unconfirmed until
   * the iteration ends without an error. An inline attachment yields its bytes.
   * @throws {AttachmentCorruptError} (see docs/errors.md) and typed server errors.
   */
  async *stream(attachment: AttachmentMeta & { data?: Uint8Array }, options: Omit<DownloadOptions, 'sym'> = {}): AsyncGenerator<Uint8Array> {
    if (!attachment.file) {
      if (attachment.data) yield attachment.data
      return
    }
    const sym = await this.#sym()
    yield* streamFile(this.#endpoint, attachment, { ...options, ...(sym ? { sym } : {}) })
  }

  /**
   * The whole verified plaintext of a received attachment.
   * @throws {RangeError} above the client's `maxDownloadBytes` (default 100 MiB): use `stream()`.
   * @throws {AttachmentCorruptError} and typed server errors.
   * @example const bytes = await client.attachments.download(message.attachments[0])
   */
  async download(attachment: AttachmentMeta & { data?: Uint8Array }, options: Omit<DownloadOptions, 'sym'> = {}): Promise<Uint8Array> {
    if (!attachment.file) return attachment.data ?? new Uint8Array(0)
    const sym = await this.#sym()
    return downloadFile(this.#endpoint, attachment, this.#host.maxDownloadBytes ?? DEFAULT_MAX_FILE_BYTES, { ...options, ...(sym ? { sym } : {}) })
  }

  /**
   * `send()`: uploads what goes out of band, queues the message, and deletes the uploads it
   * made when moderation blocks the message (so a refused file does not stay on the server).
   */
  async send(c: Conversation, input: SendInput, enqueue: (c: Conversation, input: SendInput) => Promise<SendResult>): Promise<SendResult> {
    const prepared = await this.prepare(c, input)
    try {
      return await enqueue(c, prepared)
    } catch (e) {
      if (MessageBlockedError.isInstance(e) && prepared !== input) {
        const made = (prepared.attachments ?? []).filter((a, i) => a.file && a !== input.attachments?.[i])
        await Promise.all(made.map((a) => this.remove(a.file!.id).catch(() => undefined)))
      }
      throw e
    }
  }

  /** Deletes an upload of this user (`DELETE`); false when the server had none. */
  async remove(id: string): Promise<boolean> {
    const ep = this.#endpoint
    const res = await ep.fetch(`${ep.base}/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { Authorization: `Bearer ${await ep.token()}` } })
    if (res.status === 204) return true
    const e = await httpError(res)
    if (NotFoundError.isInstance(e)) return false
    throw e
  }

  /**
   * What `send()` runs before queueing: uploads each attachment that is not inline, in order,
   * reporting `onProgress` with its index. Input that is already inline or uploaded is kept.
   */
  async prepare(c: Conversation, input: SendInput): Promise<SendInput> {
    const list = input?.attachments
    if (!Array.isArray(list) || list.every(isInline)) return input
    // Every check send() makes runs before any upload: a bad call uploads nothing.
    checkSendInput({ ...input, attachments: list.map((a) => (isInline(a) || a?.file ? a : { ...a, data: new Uint8Array(0) })) })
    list.forEach((a, i) => !isInline(a) && !a.file && sizedSource(a.data, a.size, `attachments[${i}]`))
    list.forEach((a, i) => a.thumbnail !== undefined && checkThumbnail(a.thumbnail, `attachments[${i}].thumbnail`))
    const out: OutgoingAttachment[] = []
    for (const [index, a] of list.entries()) {
      if (isInline(a)) out.push(a)
      else if (a.file) {
        // Uploaded before: a thumbnail given now is sealed under its key.
        const { thumbnail, ...rest } = a
        out.push(thumbnail ? { ...rest, file: sealedRef(a.file, thumbnail) } : rest)
      } else out.push(await this.upload(c, a, input.onProgress ? { onProgress: (p: AttachmentProgress) => input.onProgress!({ index, ...p }) } : {}))
    }
    return { ...input, attachments: out }
  }
}
