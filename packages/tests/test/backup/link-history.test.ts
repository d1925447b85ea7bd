/**
 * History on a newly linked device in every policy (issue 17, docs/recovery.md): alice links a
 * second device after a conversation; the new device reads the full history from before the
 * link (E2EE included), with progress on both sides, and a report of transferred messages sent
 * from the new device verifies. The transfer blob is gone from the server afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memoryKeyStore, requestDeviceLink, type ParleyClient, type TransferProgress } from '@parley/client'
import { memoryStore } from '@parley/server'
import { closeAll, connect, fullHistory, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { aliceAndBobTalk } from './_conversation.js'

for (const policy of ['server-side', 'optional-e2ee', 'default-e2ee'] as const) {
  describe(`history on a linked device: ${policy}`, () => {
    let server: TestServer | undefined
    const clients: ParleyClient[] = []
    afterEach(() => closeAll({ clients, server }))

    it('the new device reads everything from before the link, and its report of a transferred message verifies', async () => {
      const store = memoryStore()
      const removed: { slot: string; removed: boolean }[] = []
      const remove = store.blobs.remove.bind(store.blobs)
      store.blobs.remove = async (userId, slot) => {
        const r = await remove(userId, slot)
        removed.push({ slot, removed: r })
        return r
      }
      server = await startServer({ policy, store })
      const s = server
      const { alice, bob, toBob, texts } = await aliceAndBobTalk(s.url, policy, 4, (from, i) => `from ${from} ${i}`, clients)

      const received: TransferProgress[] = []
      const sent: TransferProgress[] = []
      const link = await requestDeviceLink({ deliveryReceipts: false,
        url: s.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] }, onProgress: (p) => void received.push(p),
      })
      await alice.linkDevice(link.code, { onProgress: (p) => void sent.push(p) })
      const alice2 = await link.client
      clients.push(alice2)
      await alice2.whenReady()
      expect(sent.at(-1)).toMatchObject({ stage: 'upload' })
      expect(sent.at(-1)!.done).toBe(sent.at(-1)!.total)
      expect(received.at(-1)).toMatchObject({ stage: 'download', done: sent.at(-1)!.total, total: sent.at(-1)!.total })

      const history = await fullHistory(alice2, toBob.id)
      expect(history.map((m) => m.text)).toEqual(texts)
      const convo = alice2.conversations.get(toBob.id)!
      expect(convo.encryption).toBe(policy === 'server-side' ? 'server-side' : 'e2ee')
      expect(await alice2.search('alice 3')).toEqual([expect.objectContaining({ message: expect.objectContaining({ text: 'from alice 3' }) })])

      // Reported from the new device: the transferred openings verify.
      const result = await convo.report({ reason: 'transferred evidence', reportId: `r-link-${policy}` })
      expect(result).toMatchObject({ totalEntries: 5, verifiedEntries: 5 })
      await waitFor(() => s.reports.length === 1, 10_000, 'the report handled')
      expect(s.reports[0]!.reporter.deviceId).toBe(alice2.deviceId)
      expect(s.reports[0]!.transcript.verified).toBe(true)

      // The transfer blob was deleted by the new device (and would expire anyway).
      expect(removed).toEqual([{ slot: expect.stringMatching(/^transfer\./), removed: true }])
      expect(await store.blobs.getChunk('alice', removed[0]!.slot, 0, Date.now())).toBeNull()
      expect(s.errors).toEqual([])
    }, 90_000)

    it('history: false links without history (the old behaviour, for a history over the blob limit)', async () => {
      server = await startServer({ policy })
      const alice = await connect(server.url, 'alice')
      const bob = await connect(server.url, 'bob')
      clients.push(alice, bob)
      const toBob = await alice.conversations.open('bob')
      await toBob.send({ text: 'not carried' })
      const link = await requestDeviceLink({ deliveryReceipts: false, url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
      await alice.linkDevice(link.code, { history: false })
      const alice2 = await link.client
      clients.push(alice2)
      await alice2.whenReady()
      const texts = (await fullHistory(alice2, toBob.id)).map((m) => m.text)
      expect(texts).toEqual(policy === 'default-e2ee' ? [] : ['not carried'])
      await expect(alice.linkDevice('', {})).rejects.toBeInstanceOf(TypeError)
    }, 60_000)
  })
}
