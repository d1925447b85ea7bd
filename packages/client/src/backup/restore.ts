/**
 * `restoreFromBackup()` (issue 17, docs/recovery.md): a fresh device opens the user's encrypted
 * backup with the recovery key (or passphrase), becomes a new device of the same user identity
 * (so peers see a new device, not an identity change), and starts with the backed-up history,
 * pins and rosters. Every check runs before anything is written: a wrong key or a damaged
 * backup leaves the key store empty and the server untouched (restore only reads from it until
 * the new device registers). The restored device then rotates the backup keys (decisions 0023,
 * 0024; `rotation.ts`): a new content key under a **new recovery key** (and, if asked, a new
 * passphrase), and a first backup under them, so a lost device holding the old key reads no
 * later backup, and a backup it forges under the old header opens only with the old secrets.
 * The app shows the new recovery key once: `client.backup.takeRecoveryKey()`.
 */
import {
  BackupCorruptError, ConnectionError, ForbiddenError, IdentityChangedError, SUPPORTED_PROTOCOL_VERSIONS, TimeoutError, type SignedDeviceList,
} from '@parley/protocol'
import { ed25519PairMatches, openBackup, parseRecoveryKey, readBackup, unwrapBackupKey, verifyDeviceList } from '@parley/crypto'
import { Connection } from '../connection.js'
import { CONNECT_TIMEOUT_MS } from '../constants.js'
import { createParleyClient, type ParleyClient, type ParleyClientOptions } from '../create-client.js'
import { newSelf } from '../sessions/registration.js'
import { K, json } from '../store-layout.js'
import { randomId } from '../util.js'
import { BACKUP_SLOT, backupAd } from './backup.js'
import { checkNewPassphrase, rotatedConfig } from './rotation.js'
import { downloadBlob, type TransferProgress } from './blob-transfer.js'
import { BACKUP_CONFIG_KEY, readSnapshot, type Snapshot } from './snapshot.js'
import { vouchOwnSigners } from '../disappearing/carried-pins.js'

/** Options of {@link restoreFromBackup}: a client's options plus exactly one secret. */
export type RestoreOptions = ParleyClientOptions & ({ recoveryKey: string; passphrase?: undefined } | { passphrase: string; recoveryKey?: undefined }) & {
  /**
   * Keep the user's other devices in the new device list (default false: a restore means
   * every earlier device is lost, and a lost device must not keep receiving messages).
   */
  keepOtherDevices?: boolean
  /**
   * The lowest backup number to accept (decision 0023): a backup the user knows was made (its
   * number, `backup.status().version`, shown or kept by the app) is newer than the one the
   * server serves → `BackupCorruptError` (`rollback`), nothing written. A fresh device knows
   * nothing else a server cannot roll back, so without it an older backup restores (its number
   * and time are in `backup.status().restoredFrom`).
   */
  minVersion?: number
  /**
   * A passphrase that, beside the new recovery key, opens the backups written from now on
   * (decision 0024). It may not be one that opens the backup being restored: every lost device
   * holds that backup's header, so such a passphrase would also open backups a lost device
   * forges. Without it, later backups open with the new recovery key only.
   */
  newPassphrase?: string
  onProgress?: (p: TransferProgress) => void
}

/**
 * Restores this user's history on a new device from the encrypted backup and returns a ready client.
 * @throws {TypeError} on bad options (neither or both of `recoveryKey` and `passphrase`; a `newPassphrase` that opens the backup being restored — nothing written).
 * @throws {ForbiddenError} when the key store already holds a device.
 * @throws {BackupKeyError} when the recovery key or passphrase does not open the backup (nothing written).
 * @throws {BackupCorruptError} when the backup is damaged or another user's, or its identity key or device list does not check out (nothing written).
 * @throws {BackupSupersededError|ConnectionError} when the first backup under the rotated key
 * cannot be written: the device is restored and registered, and the client is closed (start it
 * with `createParleyClient` on the same persistent key store; its next `backup.run()` completes
 * the rotation — a closed memory key store is gone).
 * @throws {NotFoundError} when the server holds no backup for this user.
 * @throws {IdentityChangedError} when the user's identity was reset after the backup was made.
 * @throws {ConnectionError|TimeoutError} when the server cannot be reached (nothing written).
 * @example
 * const client = await restoreFromBackup({ url, token, keyStore: indexedDbKeyStore(), recoveryKey })
 * showOnce(await client.backup.takeRecoveryKey()) // the NEW recovery key: the old one opens nothing written from now on
 */
export async function restoreFromBackup(options: RestoreOptions): Promise<ParleyClient> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const { recoveryKey, passphrase, keepOtherDevices, minVersion, newPassphrase, onProgress, ...clientOptions } = options
  if ((recoveryKey === undefined) === (passphrase === undefined)) throw new TypeError('pass exactly one of "recoveryKey" and "passphrase"')
  if (minVersion !== undefined && (typeof minVersion !== 'number' || !Number.isSafeInteger(minVersion) || minVersion < 1)) {
    throw new RangeError(`"minVersion" expected a whole number ≥ 1, got ${String(minVersion)}`)
  }
  if (passphrase !== undefined && (typeof passphrase !== 'string' || passphrase.length === 0)) throw new TypeError('"passphrase" expected a non-empty string')
  if (newPassphrase !== undefined && (typeof newPassphrase !== 'string' || newPassphrase.length === 0)) throw new TypeError('"newPassphrase" expected a non-empty string')
  if (newPassphrase !== undefined && newPassphrase === passphrase) throw new TypeError('"newPassphrase" must differ from the passphrase of the backup being restored (decision 0024)')
  const secret = recoveryKey !== undefined ? { recoveryKey: parseRecoveryKey(recoveryKey) } : { passphrase: passphrase! }
  const store = clientOptions.keyStore
  if (!store || typeof store.get !== 'function') throw new TypeError('"keyStore" expected a KeyStore')
  if (await store.get(K.self)) throw new ForbiddenError('this key store already holds a device; restoring needs an empty one')

  const deviceId = clientOptions.deviceId ?? randomId('d-', 8)
  const conn = new Connection({
    url: clientOptions.url, token: clientOptions.token, ...(clientOptions.socketOptions ? { socketOptions: clientOptions.socketOptions } : {}),
    onInvalidFrame: () => {}, // an invalid frame fails the request it answers; pushed frames are not used here
  })
  let changes: Record<string, ReturnType<typeof json>>
  try {
    const userId = await helloOn(conn, deviceId, clientOptions.connectTimeoutMs ?? CONNECT_TIMEOUT_MS)
    const bytes = await downloadBlob(conn, BACKUP_SLOT, (p) => onProgress?.(p))
    const container = readBackup(bytes)
    const ad = backupAd(userId)
    const contentKey = await unwrapBackupKey(container.header, secret, ad)
    await checkNewPassphrase(newPassphrase, secret, container.header, ad)
    const { snapshot, changes: records } = readSnapshot(openBackup(contentKey, container, ad), { kind: 'backup', userId })
    if (minVersion !== undefined && (snapshot.version ?? 0) < minVersion) {
      throw new BackupCorruptError(`the server served backup ${snapshot.version ?? 0}, older than backup ${minVersion}`, { reason: 'rollback' })
    }
    const identity = checkedIdentity(snapshot.identity!, userId)
    const list = await currentList(conn, userId, identity.user.publicKey, identity.deviceList)
    vouchOwnSigners(records, userId, [list, identity.deviceList]) // decision 0025: old devices leave the list
    const self = newSelf(userId, deviceId, { user: identity.user, deviceList: keepOtherDevices ? list : { ...list, devices: [] } })
    changes = { ...records, [BACKUP_CONFIG_KEY]: json(await rotatedConfig(ad, container.header, snapshot, newPassphrase, Date.now())), [K.self]: json(self) }
  } finally {
    conn.close()
  }
  // One atomic write: the history and the identity land together, or nothing does.
  await store.saveChanges(changes)
  const client = await createParleyClient({ ...clientOptions, deviceId })
  // The rotation takes effect: the server's backup is rewritten under the new key, which no
  // lost device holds (and a lost device's run() then refuses to overwrite it).
  try {
    await client.backup.run()
  } catch (e) {
    await client.close()
    throw e
  }
  return client
}

/**
 * The backup identity, checked before it is used: the secret key is the public key's, the
 * backed-up device list is this user's and verifies under it.
 * @throws {BackupCorruptError} otherwise (nothing written).
 */
function checkedIdentity(identity: NonNullable<Snapshot['identity']>, userId: string): NonNullable<Snapshot['identity']> {
  if (!ed25519PairMatches(identity.user)) throw new BackupCorruptError('the backed-up identity key does not match its public key', { reason: 'identity' })
  try {
    if (identity.deviceList.userId !== userId) throw new Error('other user')
    verifyDeviceList(identity.deviceList, identity.user.publicKey)
  } catch {
    throw new BackupCorruptError('the backed-up device list does not verify under the backed-up identity', { reason: 'identity' })
  }
  return identity
}

/** Connects and says hello as a new (unregistered) device; returns the server's user id. */
async function helloOn(conn: Connection, deviceId: string, timeoutMs: number): Promise<string> {
  const said = new Promise<string>((resolve, reject) => {
    conn.socket.once('connect', () => {
      conn.request('hello', { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId }).then((h) => resolve(h.userId), reject)
    })
    conn.socket.once('connect_error', (e) => reject(new ConnectionError(`could not connect: ${String(e?.message ?? e)}`)))
  })
  conn.open()
  let timer: ReturnType<typeof setTimeout> | undefined
  try {
    return await Promise.race([said, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`restore: not connected within ${timeoutMs} ms`, { operation: 'restore', ms: timeoutMs })), timeoutMs)))])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * The newest device list of this user the restored identity signed: the server's, when it
 * verifies under the restored key, else the one in the backup.
 * @throws {IdentityChangedError} when the server pins another identity key for the user.
 */
async function currentList(conn: Connection, userId: string, userKey: string, backedUp: SignedDeviceList): Promise<SignedDeviceList> {
  const { lists } = await conn.request('devicelist.fetch', { userIds: [userId] })
  const found = lists.find((l) => l.userId === userId)
  if (!found) return backedUp
  if (found.userIdentityKey !== userKey) {
    throw new IdentityChangedError('this user\'s identity was reset after the backup was made: the backup cannot be restored as this identity', { userId })
  }
  try {
    verifyDeviceList(found.deviceList, userKey)
  } catch {
    return backedUp
  }
  return found.deviceList.version >= backedUp.version ? found.deviceList : backedUp
}
