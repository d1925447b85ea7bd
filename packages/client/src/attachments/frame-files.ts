/**
 * The `files` field of an E2EE send (docs/attachments.md "Deleted with their message"): the ids
 * of the out-of-band attachments the encrypted payload names, listed beside the ciphertext so
 * the server can delete them with the message (it cannot read the payload). The server learns
 * nothing new: it saw this device upload those files to this conversation.
 */
import type { AttachmentMeta } from '@parley/protocol'

/** `{ files }` when some attachment is out of band, `{}` otherwise (spread it into the frame). */
export function filesField(metas: readonly AttachmentMeta[]): { files?: string[] } {
  const files = metas.flatMap((a) => (a.file ? [a.file.id] : []))
  return files.length ? { files } : {}
}
