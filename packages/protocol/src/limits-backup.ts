/**
 * Limits of the opaque blobs the server keeps for a user: the encrypted backup and the
 * encrypted history a device hands to a newly linked one (issue 17, docs/recovery.md). The
 * server never reads a blob; these bound what it stores and what one frame carries.
 */

/** Largest chunk of a blob one `blob.put` carries, in bytes (well inside the 2 MiB frame). */
export const MAX_BLOB_CHUNK_BYTES = 512 * 1024
/** Most chunks of one blob. With {@link MAX_BLOB_CHUNK_BYTES}: at most 64 MiB a blob. */
export const MAX_BLOB_CHUNKS = 128
/** Largest blob, in bytes. */
export const MAX_BLOB_BYTES = MAX_BLOB_CHUNK_BYTES * MAX_BLOB_CHUNKS
/**
 * Most blob slots one user holds at a time (the backup and pending history transfers), counting
 * uploads in progress: a registered device cannot fill the store with transfers nobody reads.
 */
export const MAX_BLOB_SLOTS_PER_USER = 4
/** How long the server keeps a history transfer nobody fetched and deleted (ms). */
export const TRANSFER_BLOB_TTL_MS = 60 * 60 * 1000

/** Random bytes of the one-time registration ticket an account reset issues (decision 0024): 256 bits, never guessed. */
export const RESET_TICKET_BYTES = 32
/** Longest `resetTicket` a `device.register` frame may carry (a ticket is 43 base64url characters). */
export const MAX_RESET_TICKET_LENGTH = 128
