/**
 * Errors of the encrypted backup and recovery (issue 17, docs/recovery.md). In their own file
 * so the registry in `index.ts` only gains lines.
 */
import { ParleyError } from './parley-error.js'

/**
 * The recovery key or passphrase does not open this backup (or the key wrap was altered: the
 * two look the same). Nothing was written, locally or on the server.
 */
export class BackupKeyError extends ParleyError<{ using?: 'recoveryKey' | 'passphrase' }> {
  static override readonly code: string = 'backup_key_invalid'
  static override readonly defaultMessage: string = 'the recovery key or passphrase does not open this backup'
}
/**
 * A backup or history transfer opened with the right key but its body fails authentication or
 * its contents are malformed (altered bytes, chunks of two uploads, a snapshot of another
 * user). Nothing was written.
 */
export class BackupCorruptError extends ParleyError<{ reason?: string }> {
  static override readonly code: string = 'backup_corrupt'
  static override readonly defaultMessage: string = 'the backup is damaged or was altered'
}
/**
 * `client.backup.run()` found a backup on the server under another key than this device's:
 * another device turned backups on again (a new recovery key) or a restored device rotated the
 * key. This device does not overwrite it (the newer recovery key would stop working); its own
 * settings stay, and nothing was uploaded.
 */
export class BackupSupersededError extends ParleyError {
  static override readonly code: string = 'backup_superseded'
  static override readonly defaultMessage: string = 'the backup on the server was made under a newer key by another device'
}
