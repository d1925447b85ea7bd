/**
 * Before `client.backup.run()` overwrites the server's backup (decision 0023): the backup there
 * must be under this device's own key. Two devices each hold a content key of their own once
 * each called `enable()`, and a restored device rotates the key; without this check the device
 * with the older key overwrote the newer backup, and the recovery key the user wrote down last
 * stopped working. The header is read from the first chunk only (it is at most
 * `MAX_BACKUP_HEADER_BYTES`), so the check costs one `blob.get`.
 */
import { BackupSupersededError, NotFoundError, fromBase64 } from '@parley/protocol'
import { readBackupHeader, type BackupHeader } from '@parley/crypto'
import type { Connection } from '../connection.js'
import { fromUtf8 } from '../util.js'

/**
 * Resolves when `slot` holds no backup or one under `header` (byte for byte: each `enable()`
 * and each rotation makes fresh random wraps, so equal headers mean the same key).
 * @throws {BackupSupersededError} when the stored backup is under another key.
 * @throws {BackupCorruptError} when the stored blob starts no backup container.
 */
export async function assertBackupIsOurs(conn: Connection, slot: string, header: BackupHeader): Promise<void> {
  let first: Uint8Array
  try {
    first = fromBase64((await conn.request('blob.get', { slot, index: 0 })).data)
  } catch (e) {
    if (NotFoundError.isInstance(e)) return // none yet (or deleted): nothing to overwrite
    throw e
  }
  const stored = fromUtf8(readBackupHeader(first).headerBytes)
  if (stored !== JSON.stringify(header)) {
    throw new BackupSupersededError('the backup on the server is under another key (another device called enable(), or a restored device rotated it); this device did not overwrite it')
  }
}
