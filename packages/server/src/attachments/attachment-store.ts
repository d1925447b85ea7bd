/**
 * `AttachmentStore`: where out-of-band attachments live (docs/attachments.md). A sibling of
 * the backup `BlobStore` (store/blob-store.ts), not a generalisation of it (decision 0018):
 * those are a user's few base64 slots sent through the socket; these are conversation files
 * of up to 100 MB streamed over HTTP, written at an offset and read as a stream, so the
 * interface speaks bytes and streams. Backends: `fileAttachmentStore` (the default),
 * `memoryAttachmentStore` (tests) and the SQL stores' `store.attachments` (PGlite / PostgreSQL,
 * for small deployments: `attachment-sql.ts`); one conformance suite (`attachment-contract.ts`).
 * An attachment named by sent messages lives as long as the last of them (`link` / `release`).
 * The bytes are the client's sealed file stream; the store never interprets them.
 */

/** An unfinished upload untouched this long is purged (ms): one day, time to resume. */
export const STALE_ATTACHMENT_UPLOAD_MS = 24 * 60 * 60 * 1000

/** One stored attachment (complete or being uploaded). */
export interface AttachmentRecord {
  id: string
  conversationId: string
  /** The uploading user; only they may write, ask for the offset, or delete. */
  uploader: string
  /** Declared sealed size in bytes; the upload is complete at exactly this many. */
  size: number
  /** Bytes received so far. */
  offset: number
  createdAt: number
  updatedAt: number
  /** When the purge deletes it (conversation retention / disappearing timer); null: never. */
  expiresAt: number | null
}

/** Sequential writes of one upload request; `end` makes them durable and returns the offset. */
export interface AttachmentWriter {
  /** Appends `chunk`; the caller reuses its bytes once the promise settles (copy to keep them). */
  write(chunk: Uint8Array): Promise<void>
  /** Closes the writer; the stored offset is what was written. Safe to call after a failure. */
  end(now: number): Promise<number>
}

/** A stored message naming attachments: what `link` records (docs/attachments.md). */
export interface AttachmentLink {
  /** The server's message id. */
  messageId: string
  /** Only attachments uploaded to this conversation… */
  conversationId: string
  /** …by this user (the message's sender) are linked: a sender cannot tie another's upload to its own message. */
  uploader: string
  /** When the message expires (retention, disappearing timer); null: never. */
  expiresAt: number | null
}

export interface AttachmentStore {
  /** Records a new, empty upload. */
  create(record: Omit<AttachmentRecord, 'offset' | 'updatedAt' | 'expiresAt'>): Promise<void>
  /** The record, or null when absent (or purged). */
  get(id: string): Promise<AttachmentRecord | null>
  /**
   * A writer appending at `offset`, or `'offset'` when the stored offset differs (the caller
   * answers with the stored one). At most one writer per id at a time: a second is `'busy'`.
   */
  writer(id: string, offset: number): Promise<AttachmentWriter | 'offset' | 'busy' | null>
  /** Sets when a complete attachment expires. */
  setExpiry(id: string, expiresAt: number | null): Promise<void>
  /** The stored bytes from `start` (a complete attachment), streamed in pieces. */
  read(id: string, start: number): AsyncIterable<Uint8Array>
  /**
   * Records that a stored message names `ids`. Only complete attachments of the link's
   * conversation and uploader are linked; other ids are ignored. A linked attachment expires
   * with the last message naming it: its `expiresAt` becomes the latest of theirs (null when
   * one never expires). Linking again is a no-op. Returns the ids linked.
   */
  link(ids: readonly string[], link: AttachmentLink): Promise<string[]>
  /**
   * The message is gone (deleted for everyone): drops its links and deletes each attachment no
   * other message names any more (the others expire with the messages left). Returns how many
   * attachments were deleted.
   */
  release(messageId: string): Promise<number>
  /** Deletes it; false when there was nothing. */
  remove(id: string): Promise<boolean>
  /**
   * Deletes attachments whose `expiresAt` passed and unfinished uploads untouched since
   * `staleBefore`, and the links of expired messages. Returns how many attachments were deleted.
   */
  purge(now: number, staleBefore: number): Promise<number>
  /** Releases resources (and, for a store that made its own directory, removes it). */
  close(): Promise<void>
}

/** Whether a record is fully uploaded. */
export function isComplete(r: AttachmentRecord): boolean {
  return r.offset === r.size
}

/** The `expiresAt` of an attachment named by messages expiring at `times`: the latest, null when one never expires. */
export function expiryOfLinks(times: Iterable<number | null>): number | null {
  let at = -Infinity
  for (const t of times) {
    if (t === null) return null
    if (t > at) at = t
  }
  return at === -Infinity ? null : at
}
