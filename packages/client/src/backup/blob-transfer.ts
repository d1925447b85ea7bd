/**
 * Moves an opaque blob to and from a server slot in chunks (`blob.put` / `blob.get`), with
 * progress. A chunk whose ack is lost is sent again (a put of a stored chunk replaces it); a
 * download that sees two uploads (a backup replaced mid-read) starts over.
 */
import {
  BackupCorruptError, MAX_BLOB_BYTES, MAX_BLOB_CHUNK_BYTES, PayloadTooLargeError, fromBase64, toBase64,
} from '@parley/protocol'
import type { Connection } from '../connection.js'
import { isTransient, randomId } from '../util.js'

/** Progress of a backup, restore or history transfer. */
export interface TransferProgress {
  stage: 'upload' | 'download'
  /** Bytes moved so far. */
  done: number
  /** Bytes in all. */
  total: number
}

/** Times a chunk is tried before the transfer fails (a lost ack, a reconnect). */
export const CHUNK_ATTEMPTS = 3
/** Times a download starts over when the blob was replaced while it ran. */
const DOWNLOAD_RESTARTS = 2

async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn()
    } catch (e) {
      if (attempt >= CHUNK_ATTEMPTS || !isTransient(e)) throw e
    }
  }
}

/**
 * Uploads `bytes` to `slot`; resolves once the server committed it.
 * @throws {PayloadTooLargeError} above {@link MAX_BLOB_BYTES}.
 */
export async function uploadBlob(conn: Connection, slot: string, bytes: Uint8Array, onProgress?: (p: TransferProgress) => void): Promise<void> {
  if (bytes.length > MAX_BLOB_BYTES) throw new PayloadTooLargeError(`the encrypted history is ${bytes.length} bytes; at most ${MAX_BLOB_BYTES} fit`)
  const count = Math.max(1, Math.ceil(bytes.length / MAX_BLOB_CHUNK_BYTES))
  const upload = randomId('u-', 12)
  for (let index = 0; index < count; index++) {
    const part = bytes.subarray(index * MAX_BLOB_CHUNK_BYTES, (index + 1) * MAX_BLOB_CHUNK_BYTES)
    await retrying(() => conn.request('blob.put', { slot, upload, index, count, data: toBase64(part) }))
    onProgress?.({ stage: 'upload', done: Math.min(bytes.length, (index + 1) * MAX_BLOB_CHUNK_BYTES), total: bytes.length })
  }
}

/**
 * Downloads the committed blob of `slot`.
 * @throws {NotFoundError} when the slot holds none. @throws {BackupCorruptError} when its chunks do not add up.
 */
export async function downloadBlob(conn: Connection, slot: string, onProgress?: (p: TransferProgress) => void): Promise<Uint8Array> {
  for (let restart = 0; ; restart++) {
    const first = await retrying(() => conn.request('blob.get', { slot, index: 0 }))
    if (first.bytes > MAX_BLOB_BYTES) throw new BackupCorruptError('the stored blob is larger than any blob can be', { reason: 'size' })
    const out = new Uint8Array(first.bytes)
    let at = 0
    let replaced = false
    for (let index = 0; index < first.count; index++) {
      const chunk = index === 0 ? first : await retrying(() => conn.request('blob.get', { slot, index }))
      if (chunk.upload !== first.upload || chunk.count !== first.count || chunk.bytes !== first.bytes) {
        replaced = true
        break
      }
      const data = fromBase64(chunk.data)
      if (at + data.length > out.length) throw new BackupCorruptError('the chunks are longer than the blob', { reason: 'size' })
      out.set(data, at)
      at += data.length
      onProgress?.({ stage: 'download', done: at, total: out.length })
    }
    if (!replaced) {
      if (at !== out.length) throw new BackupCorruptError('the chunks are shorter than the blob', { reason: 'size' })
      return out
    }
    if (restart >= DOWNLOAD_RESTARTS) throw new BackupCorruptError('the blob kept changing while it was read', { reason: 'replaced' })
  }
}
