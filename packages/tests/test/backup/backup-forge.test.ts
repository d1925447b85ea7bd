/**
 * Row 17c — a lost device forges a backup after the honest restore (issue 17, decision 0024), in
 * every policy. Every lost device keeps the old backup content key and the old header (that key
 * wrapped under the user's recovery key). Before the fix a restore rotated the content key but
 * wrapped it under the SAME recovery key: a lost device that could write the blob (here: still
 * registered, a modified client that skips its own overwrite guard) sealed a backup of its
 * choosing under the old header, and the user's next restore — with the only recovery key they
 * had — accepted it. Safe outcome: the restore issues a NEW recovery key (shown once,
 * `takeRecoveryKey()`); the next restore with it refuses the forgery (`BackupKeyError`, nothing
 * written). Controls: the forged blob reached the server's store and opens under the lost
 * device's key, and the OLD recovery key opens it (the attack is live; that key must be
 * discarded). A lost device dropped from the device list by the restore but still connected
 * cannot overwrite the backup (the server checks the list; control: before, it could). Also: a `newPassphrase` that opens the restored backup is refused (one policy:
 * each scrypt costs seconds here).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BackupKeyError, fromBase64, type Policy } from '@parley/protocol'
import { readBackup } from '@parley/crypto'
import { memoryKeyStore, restoreFromBackup, type KeyStore, type ParleyClient } from '@parley/client'
import { memoryStore } from '@parley/server'
import { errorOf, opensBackup, storedBackup } from './_backup-blob.js'
import { closeAll, connect, fullHistory, startServer, type TestServer } from '../helpers/parley.js'

const socketOptions = { transports: ['websocket'] as string[] }
const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

let server: TestServer | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients, server })
  server = undefined
})

const copyOf = async (ks: KeyStore) => {
  const copy = memoryKeyStore()
  await copy.saveChanges(Object.fromEntries(await Promise.all((await ks.keys('')).map(async (k) => [k, await ks.get(k)] as const))))
  return copy
}

describe.each(POLICIES)('row 17c: a backup forged by a lost device after the restore, under %s', (policy) => {
  it('the restore issues a new recovery key; the forgery under the old header is refused with it; control: it reached the store and the old key opens it', async () => {
    const store = memoryStore()
    server = await startServer({ policy, store })
    const aliceStore = memoryKeyStore()
    const alice = await connect(server.url, 'alice', { keyStore: aliceStore })
    const bob = await connect(server.url, 'bob')
    clients.push(bob)
    const convo = await alice.conversations.open('bob')
    await convo.send({ text: 'genuine history' })
    const { recoveryKey: oldRecoveryKey } = await alice.backup.enable()
    const lostStore = await copyOf(aliceStore) // the device is lost, its key store in a thief's hands
    const oldContentKey = fromBase64(((await lostStore.get('backup/config')) as { contentKey: string }).contentKey)
    await alice.close()

    // The honest restore (keepOtherDevices: the user did not know which device was lost, so it can still connect and write).
    const restored = await restoreFromBackup({ url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions, recoveryKey: oldRecoveryKey, keepOtherDevices: true })
    clients.push(restored)
    const newRecoveryKey = await restored.backup.takeRecoveryKey()
    expect(newRecoveryKey).toMatch(/^([0-9a-f]{4}-){15}[0-9a-f]{4}$/)
    expect(newRecoveryKey).not.toBe(oldRecoveryKey)
    expect(await restored.backup.takeRecoveryKey()).toBeNull() // shown once
    expect(await restored.backup.status()).toMatchObject({ recoveryKey: true, newRecoveryKey: false })
    const rotated = await storedBackup(store, 'alice')
    expect(opensBackup(oldContentKey, rotated, 'alice')).toBe(false)

    // The lost device, a modified client: it writes a backup of its choosing under the OLD header
    // (its guard is told the rotated backup is one it may replace).
    const lost = await connect(server.url, 'alice', { keyStore: lostStore })
    clients.push(lost)
    const config = (await lostStore.get('backup/config')) as Record<string, unknown>
    await lostStore.set('backup/config', { ...config, replaces: readBackup(rotated).header } as never)
    await lost.backup.run()
    const forged = await storedBackup(store, 'alice')
    // Control: the forgery reached the server's store, under the old content key and header.
    expect(forged).not.toEqual(rotated)
    expect(opensBackup(oldContentKey, forged, 'alice')).toBe(true)
    expect(readBackup(forged).header).toEqual(config.header)

    // The user's next restore, with the recovery key they were given at the restore: refused, nothing written.
    const ks = memoryKeyStore()
    const refused = await errorOf(restoreFromBackup({ url: server.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey: newRecoveryKey! }))
    expect(refused).toBeInstanceOf(BackupKeyError)
    expect(await ks.keys()).toEqual([])
    // Control: the OLD recovery key opens the forgery — what every restore accepted before the fix
    // (it cannot open the honest rotated backup, checked above), so the user must discard it.
    await restored.close()
    const fooled = await restoreFromBackup({ url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions, recoveryKey: oldRecoveryKey })
    clients.push(fooled)
    expect((await fullHistory(fooled, convo.id)).map((m) => m.text)).toContain('genuine history')
  }, 90_000)

  it('a lost device that the restore dropped from the device list cannot overwrite the backup, though still connected; control: before the restore it could', async () => {
    const store = memoryStore()
    server = await startServer({ policy, store })
    const lostStore = memoryKeyStore()
    const lost = await connect(server.url, 'alice', { keyStore: lostStore }) // stolen, and stays online
    clients.push(lost)
    const { recoveryKey } = await lost.backup.enable()
    const first = await storedBackup(store, 'alice')
    await lost.backup.run() // control: a listed device rewrites the backup
    expect(await storedBackup(store, 'alice')).not.toEqual(first)

    const restored = await restoreFromBackup({ url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions, recoveryKey })
    clients.push(restored)
    expect((await store.getDevice('alice', lost.deviceId))?.active).toBe(false)
    const rotated = await storedBackup(store, 'alice')
    // The thief's modified client skips its own guard; the server refuses the write.
    const config = (await lostStore.get('backup/config')) as Record<string, unknown>
    await lostStore.set('backup/config', { ...config, replaces: readBackup(rotated).header } as never)
    const refused = await errorOf(lost.backup.run()) as { code?: string; message?: string } | null
    expect(refused?.code).toBe('forbidden')
    expect(refused?.message).toMatch(/current device list/) // refused by the server, not the client
    expect(await storedBackup(store, 'alice')).toEqual(rotated)
  }, 90_000)
})

describe('row 17c: the passphrase after a restore (default-e2ee)', () => {
  it('a newPassphrase that opens the restored backup is refused, nothing written', async () => {
    server = await startServer({ policy: 'default-e2ee' })
    const alice = await connect(server.url, 'alice')
    const { recoveryKey } = await alice.backup.enable({ passphrase: 'old and known to every lost device' })
    await alice.close()
    const ks = memoryKeyStore()
    const same = await errorOf(restoreFromBackup({ url: server.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey, newPassphrase: 'old and known to every lost device' }))
    expect(same).toBeInstanceOf(TypeError)
    expect(await ks.keys()).toEqual([])
  }, 90_000)
})
