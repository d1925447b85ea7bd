/**
 * Encrypted thumbnails of out-of-band attachments (docs/attachments.md "Thumbnails", decision
 * 0027): a small preview the app made is sealed with the committing AEAD (`aead.ts`) under a
 * key derived from the file's key by its own label (`Parley_Thumbnail_v1`), and carried inside
 * the message beside the file reference, so the receiver shows it before downloading the file.
 * No new primitive: the file stream derives its keys from the same file key under another
 * label, so the two never share a key. The nonce is random (not derived) because one uploaded
 * file may be sent again with another thumbnail.
 */
import { AttachmentCorruptError, MAX_THUMBNAIL_BYTES, THUMBNAIL_SEAL_OVERHEAD_BYTES } from '@parley/protocol'
import { ab64, abytes } from './_assert.js'
import { toBase64 } from './_bytes.js'
import { AEAD_OVERHEAD_BYTES, openWithLabel, sealWithLabel } from './aead.js'
import { label, LABELS } from './kdf.js'
import { systemRandom, type RandomSource } from './random.js'

if (AEAD_OVERHEAD_BYTES !== THUMBNAIL_SEAL_OVERHEAD_BYTES) throw new Error('THUMBNAIL_SEAL_OVERHEAD_BYTES must equal the AEAD overhead')

/**
 * Seals a thumbnail under the file key `fileKeyB64` (base64, 32 bytes).
 * @returns base64 `nonce ‖ ciphertext ‖ tag` (for `file.thumbnail`).
 * @throws {RangeError} when the thumbnail is empty or above `MAX_THUMBNAIL_BYTES`, or the key is not 32 bytes.
 * @example const sealed = sealThumbnail(att.file.key, jpegBytes)
 */
export function sealThumbnail(fileKeyB64: string, thumbnail: Uint8Array, random: RandomSource = systemRandom): string {
  const key = ab64(fileKeyB64, 'fileKeyB64', 32)
  abytes(thumbnail, 'thumbnail')
  if (thumbnail.length === 0 || thumbnail.length > MAX_THUMBNAIL_BYTES) {
    throw new RangeError(`"thumbnail" expected 1..${MAX_THUMBNAIL_BYTES} bytes, got length=${thumbnail.length}`)
  }
  return toBase64(sealWithLabel(key, LABELS.thumbnail, thumbnail, label(LABELS.thumbnail), random))
}

/**
 * Opens a sealed thumbnail with the file key.
 * @throws {AttachmentCorruptError} (`tampered`) when it does not open under this key: altered, swapped, or another file's.
 * @example const jpeg = openThumbnail(att.file.key, att.file.thumbnail)
 */
export function openThumbnail(fileKeyB64: string, sealedB64: string): Uint8Array {
  const key = ab64(fileKeyB64, 'fileKeyB64', 32)
  try {
    return openWithLabel(key, LABELS.thumbnail, ab64(sealedB64, 'sealedB64'), label(LABELS.thumbnail))
  } catch {
    throw new AttachmentCorruptError('the thumbnail does not open under the file key', { reason: 'tampered' })
  }
}
