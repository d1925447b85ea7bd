/**
 * What a restored device's backup is encrypted under from now on (decisions 0023 and 0024,
 * docs/recovery.md). Every lost device holds the old content key and the old header (its key
 * wrapped under the user's recovery key and passphrase): with a way to write the blob (the
 * server, or a lost device still registered) it can seal a backup of its choosing under that
 * header, and whatever secret opens the old header opens the forgery. So a restore rotates
 * both: a fresh content key, wrapped under a **new** recovery key (shown to the user once,
 * `client.backup.takeRecoveryKey()`) and, only when the app asks for it, a **new** passphrase
 * — never one that opens the backup being restored. The old recovery key and passphrase then
 * open nothing written after the restore.
 */
import { BackupKeyError, toBase64 } from '@parley/protocol'
import {
  BACKUP_KEY_BYTES, backupHeader, generateRecoveryKey, parseRecoveryKey, systemRandom, unwrapBackupKey, type BackupHeader,
} from '@parley/crypto'
import type { BackupConfig } from './backup.js'
import type { Snapshot } from './snapshot.js'

/** The secret a restore was given. */
export type RestoreSecret = { recoveryKey: Uint8Array } | { passphrase: string }

/**
 * Refuses a `newPassphrase` that opens the backup being restored (a lost device could forge
 * backups it opens). Costs one scrypt when the old header has a passphrase wrap and the
 * restore was made with the recovery key.
 * @throws {TypeError} when it is empty, or is the passphrase of the backup being restored.
 */
export async function checkNewPassphrase(newPassphrase: string | undefined, secret: RestoreSecret, from: BackupHeader, ad: Uint8Array): Promise<void> {
  if (newPassphrase === undefined) return
  if (typeof newPassphrase !== 'string' || newPassphrase.length === 0) throw new TypeError('"newPassphrase" expected a non-empty string')
  const reused = 'passphrase' in secret
    ? secret.passphrase === newPassphrase
    : !!from.passphrase && (await unwrapBackupKey(from, { passphrase: newPassphrase }, ad).then(() => true, (e: unknown) => {
      if (BackupKeyError.isInstance(e)) return false
      throw e
    }))
  if (reused) {
    throw new TypeError('"newPassphrase" opens the backup being restored: a lost device that holds it could forge backups this passphrase opens — choose another')
  }
}

/**
 * The restored device's backup settings: a fresh content key under a new recovery key (kept in
 * `pendingRecoveryKey` until the app takes it) and, when given, a new passphrase. `replaces`
 * lets the first run overwrite the backup it was restored from; `version` continues its
 * numbering.
 */
export async function rotatedConfig(ad: Uint8Array, from: BackupHeader, snapshot: Snapshot, newPassphrase: string | undefined, now: number): Promise<BackupConfig> {
  const contentKey = systemRandom(BACKUP_KEY_BYTES)
  const recoveryKey = generateRecoveryKey()
  const header = await backupHeader({ contentKey, ad, recoveryKey: parseRecoveryKey(recoveryKey), ...(newPassphrase !== undefined ? { passphrase: newPassphrase } : {}) })
  return {
    contentKey: toBase64(contentKey), header, enabledAt: now, replaces: from, pendingRecoveryKey: recoveryKey,
    ...(snapshot.version !== undefined ? { version: snapshot.version } : {}),
    restoredFrom: { version: snapshot.version ?? null, createdAt: snapshot.createdAt },
  }
}
