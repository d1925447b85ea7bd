/**
 * Opaque, chunked blobs a user's devices keep on the server (issue 17): the encrypted backup
 * (slot `backup`, one per user) and encrypted history on its way to a newly linked device
 * (slot `transfer.<id>`, expiring). The server checks sizes and order only: the bytes are
 * ciphertext under keys it never sees (docs/recovery.md). A blob is written chunk by chunk,
 * in order, under an upload id; it replaces the slot's previous blob atomically when its last
 * chunk arrives, so a reader sees the old blob or the new one, never a mix.
 */
import * as v from 'valibot'
import { MAX_BLOB_CHUNK_BYTES, MAX_BLOB_CHUNKS } from '../limits-backup.js'
import { base64Max, IdSchema, TimestampSchema } from './common.js'

/** `backup`, or `transfer.<22–64 url-safe characters>` (the id travels inside the encrypted link payload). */
export const BlobSlotSchema = v.pipe(
  v.string(),
  v.maxLength(80, 'too_large'),
  v.regex(/^(backup|transfer\.[A-Za-z0-9_-]{22,64})$/, 'expected "backup" or "transfer.<id>"'),
)
export type BlobSlot = v.InferOutput<typeof BlobSlotSchema>

const ChunkIndexSchema = v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_BLOB_CHUNKS - 1))
const ChunkCountSchema = v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_BLOB_CHUNKS))

/**
 * One chunk of an upload. Chunk 0 starts the upload (dropping any other unfinished one of the
 * slot); chunk n needs chunk n−1 of the same upload; putting a stored chunk again replaces it
 * (a resend after a lost ack). The last chunk commits the blob.
 */
export const BlobPutSchema = v.strictObject({
  slot: BlobSlotSchema,
  upload: IdSchema,
  index: ChunkIndexSchema,
  count: ChunkCountSchema,
  data: base64Max(MAX_BLOB_CHUNK_BYTES),
})
export type BlobPut = v.InferOutput<typeof BlobPutSchema>
/** Ack of `blob.put`: chunks of this upload stored so far; `complete` once the blob is committed. */
export const BlobPutResultSchema = v.strictObject({ stored: ChunkCountSchema, complete: v.boolean() })

/** Read one chunk of the slot's committed blob. */
export const BlobGetSchema = v.strictObject({ slot: BlobSlotSchema, index: ChunkIndexSchema })
export type BlobGet = v.InferOutput<typeof BlobGetSchema>
/** A chunk, with the blob's upload id (a reader checks every chunk came from one upload), size and time. */
export const BlobGetResultSchema = v.strictObject({
  upload: IdSchema,
  index: ChunkIndexSchema,
  count: ChunkCountSchema,
  bytes: v.pipe(v.number(), v.integer(), v.minValue(0)),
  updatedAt: TimestampSchema,
  data: base64Max(MAX_BLOB_CHUNK_BYTES),
})
export type BlobGetResult = v.InferOutput<typeof BlobGetResultSchema>

/** Delete the slot's blob (and any unfinished upload). Idempotent. */
export const BlobDeleteSchema = v.strictObject({ slot: BlobSlotSchema })
export const BlobDeleteResultSchema = v.strictObject({ removed: v.boolean() })
