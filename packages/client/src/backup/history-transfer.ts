/**
 * History on a newly linked device (issue 17, docs/recovery.md): the existing device seals the
 * same snapshot a backup holds (minus the identity, which the link payload carries) under a
 * one-time key, uploads it as an opaque blob (slot `transfer.<id>`), and puts the slot and the
 * key inside the end-to-end encrypted link payload. The new device downloads, opens and checks
 * it before writing anything, then deletes the blob. The server sees ciphertext and sizes only.
 */
import { base64Exact, BlobSlotSchema, fromBase64, toBase64 } from '@parley/protocol'
import { BACKUP_KEY_BYTES, openBackup, readBackup, sealBackup, systemRandom } from '@parley/crypto'
import * as v from 'valibot'
import type { Connection } from '../connection.js'
import type { ClientCore } from '../core.js'
import type { JsonValue } from '../key-store/key-store.js'
import { randomId, utf8 } from '../util.js'
import { downloadBlob, uploadBlob, type TransferProgress } from './blob-transfer.js'
import { readSnapshot, takeSnapshot } from './snapshot.js'

/** What the link payload says about the history: where it is and the one-time key that opens it. */
export const LinkHistorySchema = v.strictObject({
  slot: BlobSlotSchema,
  key: base64Exact(BACKUP_KEY_BYTES),
})
export type LinkHistory = v.InferOutput<typeof LinkHistorySchema>

/** The AD of a transfer: its user and slot (a transfer never opens as another). */
const transferAd = (userId: string, slot: string) => utf8(`parley/transfer/v1\n${userId}\n${slot}`)

/**
 * Existing device: seals and uploads this device's history for a device being linked.
 * @throws {PayloadTooLargeError} when the history exceeds the blob limit (link with `history: false`).
 */
export async function sendHistory(core: ClientCore, onProgress?: (p: TransferProgress) => void): Promise<LinkHistory> {
  const self = core.self()
  const plaintext = await core.lock.run(() => takeSnapshot(core.store, { kind: 'transfer', userId: self.userId, now: core.now() }))
  const key = systemRandom(BACKUP_KEY_BYTES)
  const slot = `transfer.${randomId('', 16)}`
  const sealed = sealBackup({ contentKey: key, header: { v: 1, kind: 'transfer' }, plaintext, ad: transferAd(self.userId, slot) })
  await uploadBlob(core.conn, slot, sealed, (p) => {
    onProgress?.(p)
    core.events.emit('progress', { operation: 'link', ...p })
  })
  return { slot, key: toBase64(key) }
}

/**
 * New device: downloads and opens the history, returning the key-store records it makes (written
 * by the caller together with the identity), and deletes the blob.
 * @throws {BackupCorruptError} when it does not open or is malformed. @throws {NotFoundError} when it expired.
 */
export async function receiveHistory(conn: Connection, userId: string, history: LinkHistory, onProgress?: (p: TransferProgress) => void): Promise<Record<string, JsonValue>> {
  const bytes = await downloadBlob(conn, history.slot, onProgress)
  const ad = transferAd(userId, history.slot)
  const { changes } = readSnapshot(openBackup(fromBase64(history.key), readBackup(bytes), ad), { kind: 'transfer', userId })
  // Best effort: the blob also expires on its own (TRANSFER_BLOB_TTL_MS).
  await conn.request('blob.delete', { slot: history.slot }).catch(() => undefined)
  return changes
}
