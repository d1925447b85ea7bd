/**
 * A hostile server against backups and history transfers (issue 17; every policy): the server
 * serves an altered backup, mallory's backup as alice's, a blob whose chunks do not add up, or
 * an altered history transfer. Each is refused with a typed error and nothing is written on the
 * device (the fresh key store stays empty). Controls: each rewrite reached the client (counted),
 * and the same steps through an honest proxy succeed. Plus the edge: blob frames out of order,
 * malformed or from a device that has not registered are refused typed, the store unchanged.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { BackupCorruptError, BackupKeyError, fromBase64, toBase64 } from '@parley/protocol'
import { memoryKeyStore, requestDeviceLink, restoreFromBackup, type ParleyClient } from '@parley/client'
import { memoryStore } from '@parley/server'
import { io as ioClient } from 'socket.io-client'
import { closeAll, connect, startServer, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'
import { rawDevice } from '../helpers/moderation-world.js'

const socketOptions = { transports: ['websocket'] as string[] }

for (const policy of ['server-side', 'optional-e2ee', 'default-e2ee'] as const) {
  describe(`hostile server against backups and transfers: ${policy}`, () => {
    let server: TestServer | undefined
    let proxy: TamperProxy | undefined
    const clients: ParleyClient[] = []
    afterEach(() => closeAll({ clients, proxy, server }))

    it('an altered backup, another user\'s backup or a blob that does not add up is refused and nothing is written', async () => {
      const store = memoryStore()
      server = await startServer({ policy, store })
      proxy = await startTamperProxy(server.url)
      const p = proxy
      const alice = await connect(server.url, 'alice')
      const mallory = await connect(server.url, 'mallory')
      clients.push(alice, mallory)
      await (await alice.conversations.open('mallory')).send({ text: 'backed up' })
      const { recoveryKey } = await alice.backup.enable()
      const malloryKey = (await mallory.backup.enable()).recoveryKey
      let rewritten = 0

      // 1. A flipped byte in the body: the key opens, the body does not.
      p.hooks.ack = (event, req, res) => {
        if (event !== 'blob.get' || !res?.ok || req.slot !== 'backup') return res
        const bytes = fromBase64(res.data.data)
        bytes[bytes.length - 50]! ^= 1
        rewritten++
        return { ok: true, data: { ...res.data, data: toBase64(bytes) } }
      }
      const ks = memoryKeyStore()
      await expect(restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey })).rejects.toBeInstanceOf(BackupCorruptError)
      expect(rewritten).toBeGreaterThan(0)
      expect(await ks.keys()).toEqual([])

      // 2. Mallory's backup served as alice's, opened with mallory's key: bound to mallory, refused.
      rewritten = 0
      const mallorys = await store.blobs.getChunk('mallory', 'backup', 0, Date.now())
      p.hooks.ack = (event, req, res) => {
        if (event !== 'blob.get' || req.slot !== 'backup') return res
        rewritten++
        return { ok: true, data: mallorys }
      }
      await expect(restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey: malloryKey })).rejects.toBeInstanceOf(BackupKeyError)
      expect(rewritten).toBeGreaterThan(0)
      expect(await ks.keys()).toEqual([])

      // 3. A chunk count that does not add up (the server claims more bytes than it sends).
      rewritten = 0
      p.hooks.ack = (event, req, res) => {
        if (event !== 'blob.get' || !res?.ok) return res
        rewritten++
        return { ok: true, data: { ...res.data, bytes: res.data.bytes + 7 } }
      }
      await expect(restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey })).rejects.toBeInstanceOf(BackupCorruptError)
      expect(rewritten).toBeGreaterThan(0)
      expect(await ks.keys()).toEqual([])

      // Control: the honest proxy restores.
      p.hooks.ack = undefined
      const restored = await restoreFromBackup({ url: p.url, token: 'alice', keyStore: ks, socketOptions, recoveryKey })
      clients.push(restored)
      expect((await ks.keys()).length).toBeGreaterThan(0)
    }, 90_000)

    it('an altered history transfer fails the link typed and writes nothing on the new device', async () => {
      server = await startServer({ policy })
      proxy = await startTamperProxy(server.url)
      const p = proxy
      const alice = await connect(server.url, 'alice')
      await connect(server.url, 'bob').then((b) => clients.push(b))
      clients.push(alice)
      await (await alice.conversations.open('bob')).send({ text: 'to transfer' })
      let rewritten = 0
      p.hooks.ack = (event, req, res) => {
        if (event !== 'blob.get' || !res?.ok || !String(req.slot).startsWith('transfer.')) return res
        const bytes = fromBase64(res.data.data)
        bytes[bytes.length - 1]! ^= 1
        rewritten++
        return { ok: true, data: { ...res.data, data: toBase64(bytes) } }
      }
      const ks = memoryKeyStore()
      const link = await requestDeviceLink({ deliveryReceipts: false, url: p.url, token: 'alice', keyStore: ks, socketOptions })
      await alice.linkDevice(link.code)
      await expect(link.client).rejects.toBeInstanceOf(BackupCorruptError)
      expect(rewritten).toBe(1)
      expect(await ks.keys()).toEqual([])
      // Control: the same link through the honest proxy works.
      p.hooks.ack = undefined
      const again = await requestDeviceLink({ deliveryReceipts: false, url: p.url, token: 'alice', keyStore: ks, socketOptions })
      await alice.linkDevice(again.code)
      const alice2 = await again.client
      clients.push(alice2)
      await alice2.whenReady()
    }, 90_000)

    it('the edge refuses blob frames out of order, malformed, or from an unregistered device, and stores nothing', async () => {
      const store = memoryStore()
      server = await startServer({ policy, store })
      const keyStore = memoryKeyStore()
      const alice = await connect(server.url, 'alice', { keyStore })
      clients.push(alice)
      const raw = await rawDevice(server.url, 'alice', keyStore)
      try {
        const put = (f: Record<string, unknown>) => raw.request('blob.put', { slot: 'backup', upload: 'u1', index: 0, count: 2, data: 'AAAA', ...f })
        expect(await put({ index: 1 })).toMatchObject({ ok: false, error: { code: 'not_found' } }) // no chunk 0
        expect(await put({ index: 2 })).toMatchObject({ ok: false, error: { code: 'invalid_frame' } }) // index ≥ count
        expect(await put({ slot: 'transfer.short' })).toMatchObject({ ok: false, error: { code: 'invalid_frame' } })
        expect(await put({ count: 10_000 })).toMatchObject({ ok: false, error: { code: 'invalid_frame' } })
        expect(await put({ data: 'not base64!' })).toMatchObject({ ok: false, error: { code: 'invalid_frame' } })
        expect(await put({ extra: true })).toMatchObject({ ok: false, error: { code: 'invalid_frame' } })
        expect(await raw.request('blob.get', { slot: 'backup', index: 0 })).toMatchObject({ ok: false, error: { code: 'not_found' } })
      } finally {
        raw.close()
      }
      // A connection that only said hello (a token, no device key) cannot write or delete the backup.
      const socket = ioClient(server.url, { auth: { token: 'alice' }, transports: ['websocket'], reconnection: false, forceNew: true })
      try {
        await new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject) })
        const hello = await socket.emitWithAck('hello', { versions: [2], deviceId: 'd-token-only' })
        expect(hello).toMatchObject({ ok: true, data: { registered: false } })
        expect(await socket.emitWithAck('blob.put', { slot: 'backup', upload: 'u2', index: 0, count: 1, data: 'AAAA' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
        expect(await socket.emitWithAck('blob.delete', { slot: 'backup' })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
        expect(await socket.emitWithAck('devicelist.fetch', { userIds: ['bob'] })).toMatchObject({ ok: false, error: { code: 'forbidden' } })
      } finally {
        socket.disconnect()
      }
      expect(await store.blobs.getChunk('alice', 'backup', 0, Date.now())).toBeNull()
    }, 60_000)
  })
}
