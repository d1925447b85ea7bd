/**
 * `restoreFromBackup()` (issue 17, docs/recovery.md): a fresh device opens the user's encrypted
 * backup with the recovery key (or passphrase), becomes a new device of the same user identity
 * (so peers see a new device, not an identity change), and starts with the backed-up history,
 * pins and rosters. Every check runs before anything is written: a wrong key or a damaged
 * backup leaves the key store empty and the server untouched (restore only reads from it until
 * the new device registers).
 */
import {
  ConnectionError, ForbiddenError, IdentityChangedError, SUPPORTED_PROTOCOL_VERSIONS, TimeoutError, toBase64, type SignedDeviceList,
} from '@parley/protocol'
import { openBackup, parseRecoveryKey, readBackup, unwrapBackupKey, verifyDeviceList } from '@parley/crypto'
import { Connection } from '../connection.js'
import { CONNECT_TIMEOUT_MS } from '../constants.js'
import { createParleyClient, type ParleyClient, type ParleyClientOptions } from '../create-client.js'
import { newSelf } from '../registration.js'
import { K, json } from '../store-layout.js'
import { randomId } from '../util.js'
import { BACKUP_SLOT, backupAd, type BackupConfig } from './backup.js'
import { downloadBlob, type TransferProgress } from './blob-transfer.js'
import { BACKUP_CONFIG_KEY, readSnapshot } from './snapshot.js'

/** Options of {@link restoreFromBackup}: a client's options plus exactly one secret. */
export type RestoreOptions = ParleyClientOptions & ({ recoveryKey: string; passphrase?: undefined } | { passphrase: string; recoveryKey?: undefined }) & {
  /**
   * Keep the user's other devices in the new device list (default false: a restore means
   * every earlier device is lost, and a lost device must not keep receiving messages).
   */
  keepOtherDevices?: boolean
  onProgress?: (p: TransferProgress) => void
}

/**
 * Restores this user's history on a new device from the encrypted backup and returns a ready client.
 * @throws {TypeError} on bad options (neither or both of `recoveryKey` and `passphrase`).
 * @throws {ForbiddenError} when the key store already holds a device.
 * @throws {BackupKeyError} when the recovery key or passphrase does not open the backup (nothing written).
 * @throws {BackupCorruptError} when the backup is damaged or another user's (nothing written).
 * @throws {NotFoundError} when the server holds no backup for this user.
 * @throws {IdentityChangedError} when the user's identity was reset after the backup was made.
 * @throws {ConnectionError|TimeoutError} when the server cannot be reached (nothing written).
 * @example
 * const client = await restoreFromBackup({ url, token, keyStore: indexedDbKeyStore(), recoveryKey })
 */
export async function restoreFromBackup(options: RestoreOptions): Promise<ParleyClient> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const { recoveryKey, passphrase, keepOtherDevices, onProgress, ...clientOptions } = options
  if ((recoveryKey === undefined) === (passphrase === undefined)) throw new TypeError('pass exactly one of "recoveryKey" and "passphrase"')
  if (passphrase !== undefined && (typeof passphrase !== 'string' || passphrase.length === 0)) throw new TypeError('"passphrase" expected a non-empty string')
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
    const { snapshot, changes: records } = readSnapshot(openBackup(contentKey, container, ad), { kind: 'backup', userId })
    const identity = snapshot.identity!
    const list = await currentList(conn, userId, identity.user.publicKey, identity.deviceList)
    const self = newSelf(userId, deviceId, { user: identity.user, deviceList: keepOtherDevices ? list : { ...list, devices: [] } })
    const config: BackupConfig = { contentKey: toBase64(contentKey), header: container.header, enabledAt: Date.now() }
    changes = { ...records, [BACKUP_CONFIG_KEY]: json(config), [K.self]: json(self) }
  } finally {
    conn.close()
  }
  // One atomic write: the history and the identity land together, or nothing does.
  await store.saveChanges(changes)
  return createParleyClient({ ...clientOptions, deviceId })
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
