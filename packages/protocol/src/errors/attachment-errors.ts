/**
 * Errors of out-of-band attachments (docs/attachments.md): the chunked file stream, the
 * upload and download routes. Raised by the client (decrypting, verifying) and returned by the
 * server's HTTP routes in the same wire form as socket errors.
 */
import { ParleyError } from './parley-error.js'

/**
 * An attachment's encrypted stream does not open: the key does not match its commitment, a
 * chunk was altered, reordered or dropped, the stream was cut or extended, or the plaintext
 * does not match the hash its message commits to. Nothing of it should be shown.
 */
export class AttachmentCorruptError extends ParleyError<{ reason?: 'key_commitment' | 'truncated' | 'tampered' | 'malformed' | 'hash_mismatch' | 'size_mismatch'; chunk?: number }> {
  static override readonly code: string = 'attachment_corrupt'
  static override readonly defaultMessage: string = 'the attachment is damaged or was altered'
}

/**
 * An upload chunk was sent at an offset other than the one the server holds (a resumed upload
 * that lost track, or two writers). `details.offset` is the server's; resume from there.
 */
export class UploadOffsetError extends ParleyError<{ offset?: number }> {
  static override readonly code: string = 'upload_offset_mismatch'
  static override readonly defaultMessage: string = 'the upload offset does not match the server\'s'
}
