/**
 * `client.backup` (issue 17, docs/recovery.md, decision 0016): a client-side encrypted backup
 * of this user's history, pins and identity, stored on the server as one opaque blob (slot
 * `backup`). `enable()` makes a random content key, wraps it under a fresh recovery key (shown
 * once, never stored) and optionally a passphrase, keeps the content key and the wraps on this
 * device, and uploads the first backup; `run()` rewrites the backup under the same key, once it
 * checked the stored backup is still under that key (decision 0023: another device's newer key
 * is never overwritten). Each backup carries a number one above the last.
 */
import { BackupSupersededError, ForbiddenError } from '@parley/protocol'
import {
  BACKUP_KEY_BYTES, backupHeader, generateRecoveryKey, parseRecoveryKey, sealBackup, systemRandom, type BackupHeader,
} from '@parley/crypto'
import { fromBase64, toBase64 } from '@parley/protocol'
import type { ClientCore } from '../core.js'
import type { JsonValue } from '../key-store/key-store.js'
import { json } from '../store-layout.js'
import { Mutex, utf8 } from '../util.js'
import { assertBackupIsOurs } from './backup-guard.js'
import { uploadBlob, type TransferProgress } from './blob-transfer.js'
import { BACKUP_CONFIG_KEY, takeSnapshot } from './snapshot.js'

/** The backup slot on the server. */
export const BACKUP_SLOT = 'backup'

/** Backup settings on this device. */
export interface BackupConfig {
  /** Base64 content key (as secret as the identity key beside it in this store). */
  contentKey: string
  header: BackupHeader
  enabledAt: number
  lastRunAt?: number
  lastBytes?: number
  /** The number of the last backup this device wrote under this key (each run adds one). */
  version?: number
  /** A restored device's rotated key: the header of the backup it was restored from, which its first run may replace. */
  replaces?: BackupHeader
  /** A restored device: the number and time of the backup it was restored from. */
  restoredFrom?: { version: number | null; createdAt: number }
  /**
   * A restored device: the new recovery key its rotation made (decision 0024), kept only until
   * the app takes it to show the user (`takeRecoveryKey()`). This device already holds the
   * content key it wraps, so keeping it here for that while gives a thief of the device nothing more.
   */
  pendingRecoveryKey?: string
}

/** What `client.backup.status()` says. */
export interface BackupStatus {
  enabled: boolean
  /** The backup can be opened with a passphrase. */
  passphrase: boolean
  /**
   * The backup can be opened with a recovery key the user has been given. False while a restore's
   * new recovery key is pending (`newRecoveryKey`): the key the user holds opens nothing written
   * after the restore, and the new one is still only on this device until `takeRecoveryKey()`.
   */
  recoveryKey: boolean
  /**
   * A restore issued a new recovery key that the app has not taken yet: call
   * `takeRecoveryKey()` and show it (the old one opens nothing written after the restore).
   */
  newRecoveryKey: boolean
  /** The number of the last backup this device wrote (1, 2, …), or null. */
  version: number | null
  /**
   * On a restored device: the number (null for a backup made before numbers) and time of the
   * backup it was restored from — show it ("restored your backup of …"), so a user can tell an
   * older backup the server served instead of the newest (decision 0023).
   */
  restoredFrom: { version: number | null; createdAt: number } | null
  /** When this device last completed a backup (its clock), or null. */
  lastRunAt: number | null
  /** Size of that backup on the server, in bytes, or null. */
  lastBytes: number | null
  /** A backup is being written now. */
  running: boolean
}

export interface BackupEnableOptions {
  /** Also wrap the backup key under this passphrase (scrypt, decision 0016): a restore then needs either. */
  passphrase?: string
  onProgress?: (p: TransferProgress) => void
}

/** The AD every backup of `userId` is bound to (a backup of one user never opens as another's). */
export const backupAd = (userId: string) => utf8(`parley/backup/v1\n${userId}`)

/** The encrypted backup of this device's user. */
export class Backup {
  private running: Promise<BackupStatus> | null = null
  /** One upload at a time: two interleaved uploads of one slot would abort each other on the server. */
  private readonly writing = new Mutex()

  constructor(private readonly core: ClientCore) {}

  /**
   * Turns backups on (or starts over with a new recovery key: the old one stops working once
   * this resolves) and writes the first backup. Show `recoveryKey` to the user once: it is not
   * kept anywhere, and without it (or the passphrase) the backup cannot be opened.
   * @throws {TypeError} on an empty passphrase. @throws {PayloadTooLargeError} when the history exceeds the blob limit.
   * @example
   * const { recoveryKey } = await client.backup.enable()
   * showOnce(recoveryKey) // 'a1b2-c3d4-…'
   */
  async enable(options: BackupEnableOptions = {}): Promise<{ recoveryKey: string }> {
    if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
    if (options.passphrase !== undefined && (typeof options.passphrase !== 'string' || options.passphrase.length === 0)) {
      throw new TypeError('"passphrase" expected a non-empty string')
    }
    await this.core.whenReady()
    const recoveryKey = generateRecoveryKey()
    const contentKey = systemRandom(BACKUP_KEY_BYTES)
    const header = await backupHeader({
      contentKey, recoveryKey: parseRecoveryKey(recoveryKey), ad: backupAd(this.core.self().userId),
      ...(options.passphrase !== undefined ? { passphrase: options.passphrase } : {}),
    })
    // Numbering carries on across a re-enable, so an app's `minVersion` keeps refusing older backups.
    const previous = await this.config()
    const config: BackupConfig = { contentKey: toBase64(contentKey), header, enabledAt: this.core.now(), ...(previous?.version !== undefined ? { version: previous.version } : {}) }
    // Upload first: the settings move to the new key only once the server holds a backup under it.
    // No check of the stored header: enable() deliberately replaces whatever backup is there.
    await this.writing.run(() => this.writeNow(config, options.onProgress, false))
    return { recoveryKey }
  }

  /**
   * Writes a fresh backup under the current key (the whole history again; the server swaps the
   * old blob for the new one only when every chunk arrived). Concurrent calls share one run.
   * @throws {ForbiddenError} when backups are not enabled on this device.
   */
  run(options: { onProgress?: (p: TransferProgress) => void } = {}): Promise<BackupStatus> {
    if (this.running) return this.running
    const go = async () => {
      if (!(await this.config())) throw new ForbiddenError('backups are not enabled on this device: call client.backup.enable() first')
      await this.core.whenReady()
      // The settings are read again inside the lock: an enable() that ran meanwhile set a new key.
      await this.writing.run(async () => this.writeNow((await this.config())!, options.onProgress, true))
      return this.status()
    }
    this.running = go().finally(() => (this.running = null))
    return this.running
  }

  /** Whether backups are on, and when this device last wrote one. Local: asks the server nothing. */
  async status(): Promise<BackupStatus> {
    const config = await this.config()
    return {
      enabled: !!config,
      passphrase: !!config?.header.passphrase,
      // A pending new key is one the user does not have yet (review of session 6): not a usable recovery key.
      recoveryKey: !!config?.header.recovery && !config?.pendingRecoveryKey,
      newRecoveryKey: !!config?.pendingRecoveryKey,
      version: config?.version ?? null,
      restoredFrom: config?.restoredFrom ?? null,
      lastRunAt: config?.lastRunAt ?? null,
      lastBytes: config?.lastBytes ?? null,
      running: this.running !== null,
    }
  }

  /**
   * The new recovery key a restore issued (decision 0024), once: it is forgotten by this call,
   * so show it to the user now ("write down your NEW recovery key; the old one no longer works
   * for backups made from now on"). Null when there is none (not restored, or already taken).
   * @example
   * const restored = await restoreFromBackup({ url, token, keyStore, recoveryKey: typedByUser })
   * const fresh = await restored.backup.takeRecoveryKey()
   * if (fresh) showOnce(fresh)
   */
  async takeRecoveryKey(): Promise<string | null> {
    // Under the write lock: a run() finishing meanwhile rewrites the settings it read.
    return this.writing.run(async () => {
      const config = await this.config()
      if (!config?.pendingRecoveryKey) return null
      const { pendingRecoveryKey, ...rest } = config
      await this.core.store.set(BACKUP_CONFIG_KEY, json(rest))
      return pendingRecoveryKey
    })
  }

  private async config(): Promise<BackupConfig | null> {
    return (await this.core.store.get<JsonValue>(BACKUP_CONFIG_KEY)) as BackupConfig | null
  }

  /**
   * Seals and uploads one backup. With `guard`, first checks that the stored backup is under
   * this device's key (or, once after a restore, the key it rotated away from).
   * @throws {BackupSupersededError} another key's backup is stored (nothing uploaded).
   */
  private async writeNow(config: BackupConfig, onProgress: ((p: TransferProgress) => void) | undefined, guard: boolean): Promise<void> {
    const self = this.core.self()
    if (guard) {
      try {
        await assertBackupIsOurs(this.core.conn, BACKUP_SLOT, config.header)
      } catch (e) {
        if (!config.replaces || !BackupSupersededError.isInstance(e)) throw e
        await assertBackupIsOurs(this.core.conn, BACKUP_SLOT, config.replaces)
      }
    }
    const version = (config.version ?? 0) + 1
    const plaintext = await this.core.lock.run(() => takeSnapshot(this.core.store, {
      kind: 'backup', userId: self.userId, now: this.core.now(), version, identity: { user: self.user, deviceList: self.deviceList },
    }))
    const sealed = sealBackup({ contentKey: fromBase64(config.contentKey), header: config.header, plaintext, ad: backupAd(self.userId) })
    await uploadBlob(this.core.conn, BACKUP_SLOT, sealed, (p) => {
      onProgress?.(p)
      this.core.events.emit('progress', { operation: 'backup', ...p })
    })
    const { replaces: _done, ...written } = config
    await this.core.store.set(BACKUP_CONFIG_KEY, json({ ...written, version, lastRunAt: this.core.now(), lastBytes: sealed.length }))
  }
}
