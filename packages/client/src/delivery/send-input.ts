/**
 * Input checks and attachment metadata for `send()`: what is validated before anything is
 * stored, so a bad call never leaves an outbox entry behind.
 */
import * as v from 'valibot'
import {
  MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_NAME_LENGTH, MAX_ATTACHMENTS, MAX_FILE_BYTES_CAP, MAX_MIME_LENGTH, MAX_TEXT_LENGTH, FileRefSchema, base64Exact,
  firstLoneSurrogate, fromBase64, toBase64, type AttachmentMeta, type FileRef,
} from '@parley/protocol'
import { sha256Base64 } from '@parley/crypto'
import type { OutgoingAttachment, SendInput } from '../types.js'

/**
 * Franked text must be well-formed Unicode: UTF-8 maps every lone surrogate to U+FFFD, so an
 * ill-formed text would share its franking commitment with a different text. NUL is refused
 * too, in every mode: a server-side store cannot hold it (the server refuses it at the edge),
 * so an E2EE send must not accept what the same call refuses in `server-side`.
 * @throws {TypeError} naming the field and the index of the first lone surrogate or NUL.
 */
function checkWellFormed(value: string, name: string): void {
  const at = firstLoneSurrogate(value)
  if (at >= 0) throw new TypeError(`"${name}" expected well-formed Unicode, got a lone surrogate at index ${at}`)
  const nul = value.indexOf('\u0000')
  if (nul >= 0) throw new TypeError(`"${name}" expected no NUL character (U+0000), got one at index ${nul}`)
}

/**
 * Validates `send()` input. @throws {TypeError} / {RangeError} naming the field; TypeError
 * for a text, attachment name or mime that is not well-formed Unicode or holds a NUL.
 */
export function checkSendInput(input: SendInput): void {
  if (input === null || typeof input !== 'object') throw new TypeError('"input" expected { text, attachments? }')
  if (typeof input.text !== 'string') throw new TypeError(`"text" expected string, got ${typeof input.text}`)
  if (input.text.length > MAX_TEXT_LENGTH) throw new RangeError(`"text" expected at most ${MAX_TEXT_LENGTH} characters, got length=${input.text.length}`)
  checkWellFormed(input.text, 'text')
  const atts = input.attachments ?? []
  if (!Array.isArray(atts)) throw new TypeError('"attachments" expected an array')
  if (atts.length > MAX_ATTACHMENTS) throw new RangeError(`"attachments" expected at most ${MAX_ATTACHMENTS}, got ${atts.length}`)
  atts.forEach((a, i) => {
    if (!(a?.data instanceof Uint8Array)) throw new TypeError(`"attachments[${i}].data" expected Uint8Array (send() uploads a Blob or stream first)`)
    if (a.file) checkUploaded(a, i)
    else if (a.data.length > MAX_ATTACHMENT_BYTES) throw new RangeError(`"attachments[${i}].data" expected at most ${MAX_ATTACHMENT_BYTES} bytes inline, got length=${a.data.length}`)
    if (typeof a.name !== 'string' || a.name.length === 0 || a.name.length > MAX_ATTACHMENT_NAME_LENGTH) throw new TypeError(`"attachments[${i}].name" expected 1..${MAX_ATTACHMENT_NAME_LENGTH} characters`)
    if (typeof a.mime !== 'string' || a.mime.length === 0 || a.mime.length > MAX_MIME_LENGTH) throw new TypeError(`"attachments[${i}].mime" expected 1..${MAX_MIME_LENGTH} characters`)
    checkWellFormed(a.name, `attachments[${i}].name`)
    checkWellFormed(a.mime, `attachments[${i}].mime`)
  })
  if (input.text.length === 0 && atts.length === 0) throw new RangeError('"text" expected a non-empty text or at least one attachment')
}

/** An attachment `client.attachments.upload()` returned: no bytes, a reference, size and hash. */
function checkUploaded(a: OutgoingAttachment, i: number): void {
  if ((a.data as Uint8Array).length !== 0) throw new TypeError(`"attachments[${i}].data" expected empty bytes beside "file"`)
  if (!v.is(FileRefSchema, a.file)) throw new TypeError(`"attachments[${i}].file" expected { id, key } from client.attachments.upload()`)
  if (typeof a.size !== 'number' || !Number.isSafeInteger(a.size) || a.size < 0 || a.size > MAX_FILE_BYTES_CAP) throw new RangeError(`"attachments[${i}].size" expected an integer in [0, ${MAX_FILE_BYTES_CAP}]`)
  if (typeof a.sha256 !== 'string' || !v.is(base64Exact(32), a.sha256)) throw new TypeError(`"attachments[${i}].sha256" expected base64 of 32 bytes`)
}

/** An outbox entry's attachment: inline bytes as base64, or the out-of-band reference. */
export type EntryAttachment = { name: string; mime: string; data: string; file?: FileRef; size?: number; sha256?: string }

/** The outbox form of checked `send()` attachments. */
export function entryAttachments(list: OutgoingAttachment[] | undefined): EntryAttachment[] {
  return (list ?? []).map((a) => ({
    name: a.name, mime: a.mime, data: toBase64(a.data as Uint8Array), ...(a.file ? { file: { ...a.file }, size: a.size!, sha256: a.sha256! } : {}),
  }))
}

/** Attachment metadata (what franking commits to) of stored attachments, inline or out of band. */
export function attachmentMetas(list: EntryAttachment[]): AttachmentMeta[] {
  return list.map((a) => {
    if (a.file) return { name: a.name, mime: a.mime, size: a.size!, sha256: a.sha256!, file: { ...a.file } }
    const bytes = fromBase64(a.data)
    return { name: a.name, mime: a.mime, size: bytes.length, sha256: sha256Base64(bytes) }
  })
}
