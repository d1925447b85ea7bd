/**
 * Server options of out-of-band attachments (docs/attachments.md): `attachments` in
 * `createParleyServer` options. Off with `attachments: false`.
 */
import type { AttachmentStore } from './attachment-store.js'

/** Options of the attachment routes. */
export interface AttachmentOptions {
  /** Where the bytes live. Default: `fileAttachmentStore()` in a fresh temporary directory (a warning is logged; give a `dir` in production). */
  store?: AttachmentStore
  /** Largest file in plaintext bytes. Default `DEFAULT_MAX_FILE_BYTES` (100 MiB). */
  maxBytes?: number
  /** URL path of the routes. Default `DEFAULT_ATTACHMENTS_PATH` (`/parley/attachments`). */
  path?: string
}
