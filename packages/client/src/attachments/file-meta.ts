/**
 * The `file` reference of an attachment entry, copied: every place that rebuilds attachment
 * metadata field by field (log, reports, deliveries) keeps it, so franking still opens.
 */
import type { FileRef } from '@parley/protocol'

/** `{ file }` when `a` is out of band, `{}` otherwise (spread it into the rebuilt entry). */
export function fileOf(a: { file?: FileRef | undefined }): { file?: FileRef } {
  return a.file ? { file: { id: a.file.id, key: a.file.key, ...(a.file.thumbnail !== undefined ? { thumbnail: a.file.thumbnail } : {}) } } : {}
}
