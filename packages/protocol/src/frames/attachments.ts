/**
 * Out-of-band attachments (issue 18, docs/attachments.md): a file is sealed on the sending
 * device as a chunked key-committing stream under a fresh key (`@parley/crypto`
 * file-stream.ts), uploaded over HTTP to the Parley server (`POST` to create, `PATCH` at an
 * offset to append, `HEAD` for the offset after a cut, `GET` to download; members only), and
 * the message carries a {@link FileRefSchema} in its attachment entry, which franking commits to
 * together with the plaintext SHA-256. These are the HTTP bodies and the reference.
 */
import * as v from 'valibot'
import { base64Exact, base64Max, IdSchema } from './common.js'

/** Where the routes live on the server's HTTP server (option `attachments.path`). */
export const DEFAULT_ATTACHMENTS_PATH = '/parley/attachments'
/** Default largest file (plaintext bytes) the server accepts: 100 MiB (option `attachments.maxBytes`). */
export const DEFAULT_MAX_FILE_BYTES = 100 * 1024 * 1024
/** Hard cap of a file's declared size in any frame (plaintext bytes): 4 GiB. */
export const MAX_FILE_BYTES_CAP = 4 * 1024 * 1024 * 1024
/** Bytes of a file key. */
export const FILE_REF_KEY_BYTES = 32

/**
 * Largest thumbnail (plaintext bytes) an out-of-band attachment may carry inline: 4 KiB, a
 * small JPEG or WebP preview. The app makes it (Parley decodes no images). Four of them sealed
 * take about 22 KB of base64 in an E2EE payload (`MAX_CIPHERTEXT_BYTES`, 64 KiB), leaving room
 * for an ordinary text.
 */
export const MAX_THUMBNAIL_BYTES = 4 * 1024
/** What sealing adds to a thumbnail: a 24-byte nonce and a 32-byte tag (`@parley/crypto` thumbnail.ts). */
export const THUMBNAIL_SEAL_OVERHEAD_BYTES = 56

/** A server-made attachment id: 22 url-safe characters (128 random bits). */
export const AttachmentIdSchema = v.pipe(v.string(), v.regex(/^[A-Za-z0-9_-]{22}$/, 'expected 22 url-safe characters'))

/**
 * Where an out-of-band attachment's bytes are and the key that opens them. Inside an E2EE
 * payload it is end-to-end encrypted; in a server-side body the server can read it, as it
 * reads the rest of the body.
 */
export const FileRefSchema = v.strictObject({
  /** The attachment id the upload returned. */
  id: AttachmentIdSchema,
  /** The file key, base64 of 32 bytes. */
  key: base64Exact(FILE_REF_KEY_BYTES),
  /**
   * A small preview sealed under a key derived from `key` (`@parley/crypto` `sealThumbnail`),
   * base64. It travels inside the message, so the receiver has it before downloading the file;
   * franking commits to it.
   */
  thumbnail: v.optional(base64Max(MAX_THUMBNAIL_BYTES + THUMBNAIL_SEAL_OVERHEAD_BYTES)),
})
export type FileRef = v.InferOutput<typeof FileRefSchema>

/** `POST {path}`: start an upload of `size` sealed bytes for a conversation the caller is in. */
export const AttachmentCreateSchema = v.strictObject({
  conversationId: IdSchema,
  size: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(2 * MAX_FILE_BYTES_CAP)),
})
export type AttachmentCreate = v.InferOutput<typeof AttachmentCreateSchema>

/** The answer to `POST`: the new id and the offset to write at (0). */
export const AttachmentCreatedSchema = v.strictObject({
  id: AttachmentIdSchema,
  offset: v.pipe(v.number(), v.integer(), v.minValue(0)),
  size: v.pipe(v.number(), v.integer(), v.minValue(1)),
})
export type AttachmentCreated = v.InferOutput<typeof AttachmentCreatedSchema>
