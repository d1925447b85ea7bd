/**
 * `BlobStore`: the opaque, chunked blobs a user's devices keep on the server (issue 17,
 * docs/recovery.md) — the encrypted backup (slot `backup`) and encrypted history on its way to
 * a newly linked device (slot `transfer.<id>`, with an expiry). A sub-interface of the store
 * (`store.blobs`), one file per backend (`blob-memory.ts`, `blob-sql.ts`) and one conformance
 * suite (`blob-contract.ts`). The bytes are ciphertext the server cannot read; the store checks
 * only the upload order, so a reader sees a slot's previous blob or its new one, never a mix.
 */

/** An unfinished upload untouched this long no longer holds its slot (ms): one hour. */
export const STALE_UPLOAD_MS = 60 * 60 * 1000

/** One chunk of an upload. */
export interface BlobChunkPut {
  userId: string
  slot: string
  upload: string
  index: number
  count: number
  /** Base64 chunk bytes (opaque). */
  data: string
  /** Decoded size of `data`. */
  bytes: number
  now: number
  /** When the committed blob expires (transfers); absent: kept until replaced or deleted. */
  expiresAt?: number
  /** Most slots (committed or being uploaded) the user may hold, this one included. */
  maxSlots: number
}

/** A chunk of a committed blob. */
export interface BlobChunk {
  upload: string
  index: number
  count: number
  /** Total decoded size of the blob. */
  bytes: number
  updatedAt: number
  data: string
}

/** Why a put was refused: `order` (chunk n−1 of this upload is missing or another count), `slots` (too many slots). */
export type BlobPutRefusal = 'order' | 'slots'

export interface BlobStore {
  /**
   * Stores one chunk. Chunk 0 starts the upload (dropping other unfinished uploads of the
   * slot); chunk n > 0 needs chunk n−1 of the same upload with the same `count`; storing a chunk
   * again replaces it. When `index === count − 1` the upload replaces the slot's blob, atomically.
   * Returns the refusal instead of throwing, so every backend refuses identically.
   */
  putChunk(put: BlobChunkPut): Promise<{ stored: number; complete: boolean } | { refused: BlobPutRefusal }>
  /** Chunk `index` of the slot's committed, unexpired blob, or null. */
  getChunk(userId: string, slot: string, index: number, now: number): Promise<BlobChunk | null>
  /** Deletes the slot's blob and any unfinished upload; false when there was nothing. */
  remove(userId: string, slot: string): Promise<boolean>
}
