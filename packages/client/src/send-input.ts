/**
 * Input checks and attachment metadata for `send()`: what is validated before anything is
 * stored, so a bad call never leaves an outbox entry behind.
 */
import {
  MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_NAME_LENGTH, MAX_ATTACHMENTS, MAX_MIME_LENGTH, MAX_TEXT_LENGTH, firstLoneSurrogate, fromBase64,
  type AttachmentMeta,
} from '@parley/protocol'
import { sha256Base64 } from '@parley/crypto'
import type { SendInput } from './types.js'

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
    if (!(a?.data instanceof Uint8Array)) throw new TypeError(`"attachments[${i}].data" expected Uint8Array`)
    if (a.data.length > MAX_ATTACHMENT_BYTES) throw new RangeError(`"attachments[${i}].data" expected at most ${MAX_ATTACHMENT_BYTES} bytes, got length=${a.data.length}`)
    if (typeof a.name !== 'string' || a.name.length === 0 || a.name.length > MAX_ATTACHMENT_NAME_LENGTH) throw new TypeError(`"attachments[${i}].name" expected 1..${MAX_ATTACHMENT_NAME_LENGTH} characters`)
    if (typeof a.mime !== 'string' || a.mime.length === 0 || a.mime.length > MAX_MIME_LENGTH) throw new TypeError(`"attachments[${i}].mime" expected 1..${MAX_MIME_LENGTH} characters`)
    checkWellFormed(a.name, `attachments[${i}].name`)
    checkWellFormed(a.mime, `attachments[${i}].mime`)
  })
  if (input.text.length === 0 && atts.length === 0) throw new RangeError('"text" expected a non-empty text or at least one attachment')
}

/** Attachment metadata (what franking commits to) of stored inline attachments. */
export function attachmentMetas(list: { name: string; mime: string; data: string }[]): AttachmentMeta[] {
  return list.map((a) => {
    const bytes = fromBase64(a.data)
    return { name: a.name, mime: a.mime, size: bytes.length, sha256: sha256Base64(bytes) }
  })
}
