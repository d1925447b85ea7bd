/**
 * Thumbnails of out-of-band attachments, client side (docs/attachments.md "Thumbnails"): the
 * app passes a small preview it made (`thumbnail`, at most `MAX_THUMBNAIL_BYTES`; Parley
 * decodes no images); it is sealed under the file's key (`@parley/crypto` `sealThumbnail`) into
 * `file.thumbnail`, franked with the message, and opened by the receiver before downloading.
 */
import { MAX_THUMBNAIL_BYTES, type AttachmentMeta, type FileRef } from '@parley/protocol'
import { openThumbnail, sealThumbnail } from '@parley/crypto'

/**
 * Returns `thumbnail` when it is a usable preview.
 * @throws {TypeError|RangeError} not bytes, empty, or above `MAX_THUMBNAIL_BYTES`.
 */
export function checkThumbnail(thumbnail: unknown, name: string): Uint8Array {
  if (!(thumbnail instanceof Uint8Array)) throw new TypeError(`"${name}" expected Uint8Array`)
  if (thumbnail.length === 0 || thumbnail.length > MAX_THUMBNAIL_BYTES) throw new RangeError(`"${name}" expected 1..${MAX_THUMBNAIL_BYTES} bytes, got length=${thumbnail.length}`)
  return thumbnail
}

/** `file` with `thumbnail` sealed under its key (a fresh nonce each time). */
export function sealedRef(file: FileRef, thumbnail: Uint8Array): FileRef {
  return { id: file.id, key: file.key, thumbnail: sealThumbnail(file.key, thumbnail) }
}

/**
 * The preview of a received attachment, or null when it has none (inline, or sent without).
 * @throws {AttachmentCorruptError} (`tampered`) when it does not open under the file key.
 */
export function thumbnailOf(attachment: AttachmentMeta): Uint8Array | null {
  const f = attachment?.file
  return f?.thumbnail ? openThumbnail(f.key, f.thumbnail) : null
}
