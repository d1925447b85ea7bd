/**
 * Row 17c — backups against a lost device and a hostile server (issue 17, decision 0023), in
 * every policy:
 * (a) A lost device holds the backup content key. After a restore the restored device rotates
 *     it: the next backup on the server does not open under the old key, and the lost device's
 *     `run()` is refused (`BackupSupersededError`) without touching the stored backup. Control:
 *     the backup stored before the restore opens under the lost device's key (the attack works
 *     on what it could already read).
 * (b) A second device's `enable()` is not undone by the first device's next `run()`
 *     (`BackupSupersededError`, the second device's backup stays). Control: before it, the first
 *     device's `run()` overwrote as usual.
 * (c) Rollback: the server serves an older genuine backup. A restore that knows the newest
 *     number (`minVersion`) refuses it (`rollback`, nothing written); without it the restore
 *     shows which backup it restored (`restoredFrom`). Control: the rewrite reached the client.
 * (d) A backup whose identity secret does not match its public key (sealed under the user's
 *     own content key) is refused (`identity`, nothing written). Control: the same re-sealing
 *     without the swap restores.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BackupCorruptError, BackupKeyError, BackupSupersededError, fromBase64, toBase64, type Policy } from '@parley/protocol'
import { generateUserIdentity, openBackup, readBackup, sealBackup } from '@parley/crypto'
import { memoryKeyStore, requestDeviceLink, restoreFromBackup, type KeyStore, type ParleyClient } from '@parley/client'
import { memoryStore } from '@parley/server'
import { backupAd, errorOf, opensBackup, storedBackup } from './_backup-blob.js'
import { closeAll, connect, startServer, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

const socketOptions = { transports: ['websocket'] as string[] }
const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

let server: TestServer | undefined
let proxy: TamperProxy | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients, proxy, server })
  server = undefined
  proxy = undefined
})

const contentKeyOf = async (ks: KeyStore) => fromBase64(((await ks.get('backup/config')) as { contentKey: string }).contentKey)

describe.each(POLICIES)('row 17c: backups against a lost device and a hostile server under %s', (policy) => {
  it('(a) a restore rotates the content key: a lost device reads no later backup and cannot overwrite it', async () => {
    const store = memoryStore()
    server = await startServer({ policy, store })
    const aliceStore = memoryKeyStore()
    const alice = await connect(server.url, 'alice', { keyStore: aliceStore })
    const bob = await connect(server.url, 'bob')
    clients.push(bob)
    await (await alice.conversations.open('bob')).send({ text: 'before the loss' })
    const { recoveryKey } = await alice.backup.enable()
    const oldKey = await contentKeyOf(aliceStore)
    const before = await storedBackup(store, 'alice')
    expect(opensBackup(oldKey, before, 'alice')).toBe(true) // control: the lost device's key opens what it could read

    // The device is "lost": its key store survives in a thief's hands (the same object, reopened).
    const lostStore = memoryKeyStore()
    await lostStore.saveChanges(Object.fromEntries(await Promise.all((await aliceStore.keys('')).map(async (k) => [k, await aliceStore.get(k)] as const))))
    await alice.close()

    // keepOtherDevices: the user did not know the device was lost (else it is dropped from the
    // device list and cannot even connect to try what follows).
    const restored = await restoreFromBackup({ url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions, recoveryKey, keepOtherDevices: true })
    clients.push(restored)
    const status = await restored.backup.status()
    // The new recovery key is not the user's until the app takes it and shows it: no usable recovery key yet.
    expect(status).toMatchObject({ enabled: true, recoveryKey: false, newRecoveryKey: true, passphrase: false, version: 2, restoredFrom: { version: 1 } })
    const newRecoveryKey = (await restored.backup.takeRecoveryKey())!
    expect(await restored.backup.status()).toMatchObject({ recoveryKey: true, newRecoveryKey: false })
    await (await restored.conversations.open('bob')).send({ text: 'after the restore' })
    await restored.backup.run()
    const after = await storedBackup(store, 'alice')
    expect(opensBackup(oldKey, after, 'alice')).toBe(false) // the lost device's key no longer opens it

    // The lost device, back online with its token, tries to overwrite the backup.
    const lost = await connect(server.url, 'alice', { keyStore: lostStore })
    clients.push(lost)
    expect(await errorOf(lost.backup.run())).toBeInstanceOf(BackupSupersededError)
    expect(await storedBackup(store, 'alice')).toEqual(after)
    // The restore's new recovery key opens the rotated backup (a second restore); the old one
    // no longer does (decision 0024; backup-forge.test.ts attacks this).
    expect(await errorOf(restoreFromBackup({ url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions, recoveryKey }))).toBeInstanceOf(BackupKeyError)
    const again = await restoreFromBackup({ url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions, recoveryKey: newRecoveryKey })
    clients.push(again)
    expect((await again.backup.status()).restoredFrom?.version).toBe(3)
  }, 60_000)

  it('(b) a second device\'s enable() is not undone by the first device\'s run()', async () => {
    const store = memoryStore()
    server = await startServer({ policy, store })
    const d1Store = memoryKeyStore()
    const d1 = await connect(server.url, 'alice', { keyStore: d1Store })
    clients.push(d1)
    await d1.backup.enable()
    const d1Blob = await storedBackup(store, 'alice')
    await d1.backup.run() // control: d1 overwrites its own backup
    const d1Run = await storedBackup(store, 'alice')
    expect(d1Run).not.toEqual(d1Blob)

    const d2Store = memoryKeyStore()
    const d2Link = await requestDeviceLink({ url: server.url, token: 'alice', keyStore: d2Store, socketOptions })
    await d1.linkDevice(d2Link.code)
    const d2 = await d2Link.client
    clients.push(d2)
    await d2.backup.enable()
    const d2Blob = await storedBackup(store, 'alice')
    expect(await errorOf(d1.backup.run())).toBeInstanceOf(BackupSupersededError)
    expect(await storedBackup(store, 'alice')).toEqual(d2Blob)
    expect(opensBackup(await contentKeyOf(d2Store), d2Blob, 'alice')).toBe(true)
  }, 60_000)

  it('(c) an older genuine backup served instead of the newest: refused with minVersion, shown as restoredFrom without', async () => {
    const store = memoryStore()
    server = await startServer({ policy, store })
    proxy = await startTamperProxy(server.url)
    const p = proxy
    const alice = await connect(server.url, 'alice')
    clients.push(alice)
    const { recoveryKey } = await alice.backup.enable()
    const first = (await store.blobs.getChunk('alice', 'backup', 0, Date.now()))!
    await alice.backup.run()
    expect((await alice.backup.status()).version).toBe(2)
    let served = 0
    p.hooks.ack = (event, req, res) => {
      if (event !== 'blob.get' || !res?.ok || req.slot !== 'backup') return res
      served++
      return { ok: true, data: first } // backup 1, genuine, in place of backup 2
    }
    const ks = memoryKeyStore()
    const refused = await errorOf(restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey, minVersion: 2 }))
    expect(served).toBeGreaterThan(0) // control: the old backup reached the client
    expect(refused).toBeInstanceOf(BackupCorruptError)
    expect((refused as BackupCorruptError).details.reason).toBe('rollback')
    expect(await ks.keys()).toEqual([])
    await expect(restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey, minVersion: 0 })).rejects.toThrow(RangeError)
    // Without minVersion a fresh device cannot tell; it says which backup it restored.
    await alice.close()
    const restored = await restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey })
    clients.push(restored)
    expect((await restored.backup.status()).restoredFrom?.version).toBe(1)
  }, 60_000)

  it('(d) a backed-up identity whose secret does not match its public key is refused; control: re-sealed unchanged, it restores', async () => {
    const store = memoryStore()
    server = await startServer({ policy, store })
    proxy = await startTamperProxy(server.url)
    const p = proxy
    const aliceStore = memoryKeyStore()
    const alice = await connect(server.url, 'alice', { keyStore: aliceStore })
    clients.push(alice)
    const { recoveryKey } = await alice.backup.enable()
    const key = await contentKeyOf(aliceStore)
    const chunk = (await store.blobs.getChunk('alice', 'backup', 0, Date.now()))!
    const container = readBackup(fromBase64(chunk.data))
    const snapshot = JSON.parse(new TextDecoder().decode(openBackup(key, container, backupAd('alice'))))
    const reseal = (snap: unknown) => {
      const bytes = sealBackup({ contentKey: key, header: container.header, plaintext: new TextEncoder().encode(JSON.stringify(snap)), ad: backupAd('alice') })
      return { ...chunk, bytes: bytes.length, data: toBase64(bytes) }
    }
    const swapped = reseal({ ...snapshot, identity: { ...snapshot.identity, user: { ...snapshot.identity.user, secretKey: generateUserIdentity().secretKey } } })
    let served = 0
    p.hooks.ack = (event, req, res) => {
      if (event !== 'blob.get' || !res?.ok || req.slot !== 'backup') return res
      served++
      return { ok: true, data: swapped }
    }
    const ks = memoryKeyStore()
    const refused = await errorOf(restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey }))
    expect(served).toBeGreaterThan(0)
    expect((refused as BackupCorruptError).details?.reason).toBe('identity')
    expect(await ks.keys()).toEqual([])
    // Control: the same re-sealing without the swap is accepted.
    const same = reseal(snapshot)
    p.hooks.ack = (event, req, res) => (event === 'blob.get' && res?.ok && req.slot === 'backup' ? { ok: true, data: same } : res)
    await alice.close()
    const restored = await restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey })
    clients.push(restored)
    expect((await ks.keys()).length).toBeGreaterThan(0)
  }, 60_000)
})
