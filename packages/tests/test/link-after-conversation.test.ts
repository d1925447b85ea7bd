/**
 * Every policy: a device linked while its user already has a conversation. The peer must hear
 * of the new device (`devicelist.changed` reaches conversation peers on registration, not only
 * the user's own devices): its next sends reach both of the user's devices — before, every E2EE
 * send of the peer was refused with `invalid_device_list` until the new device wrote first.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { memoryKeyStore, requestDeviceLink, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

for (const policy of ['server-side', 'optional-e2ee', 'default-e2ee'] as const) {
  describe(`link during a conversation: ${policy}`, () => {
    let server: TestServer
    const open: ParleyClient[] = []
    afterAll(async () => {
      for (const c of open) await c.close().catch(() => {})
      await server?.close()
    })

    it('the peer sends to the new device at once, and its own sends reach both', async () => {
      server = await startServer({ policy })
      const alice1 = await connect(server.url, 'alice')
      const bob = await connect(server.url, 'bob')
      open.push(alice1, bob)
      const toBob = await alice1.conversations.open('bob')
      if (policy === 'optional-e2ee') await toBob.upgradeToE2EE()
      await toBob.send({ text: 'before the link' })
      const toAlice = await bob.conversations.open('alice')
      await toAlice.send({ text: 'reply before the link' })

      const link = await requestDeviceLink({ deliveryReceipts: false, url: server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
      await alice1.linkDevice(link.code)
      const alice2 = await link.client
      open.push(alice2)
      await alice2.whenReady()
      const seen2: string[] = []
      alice2.on('message', (m) => void (m.status === 'received' && seen2.push(m.text)))
      const seen1: string[] = []
      alice1.on('message', (m) => void (m.status === 'received' && seen1.push(m.text)))

      // The devicelist.changed event may still be on its way: one send at most may be refused.
      const outcomes: string[] = []
      for (const text of ['after the link 1', 'after the link 2']) {
        outcomes.push(await toAlice.send({ text }).then(() => 'ok', (e: { code?: string }) => e.code ?? 'error'))
      }
      expect(outcomes.at(-1)).toBe('ok')
      await waitFor(() => seen2.includes('after the link 2') && seen1.includes('after the link 2'), 10_000, 'both of alice\'s devices got it')
      const convo2 = alice2.conversations.get(toBob.id)
      expect(convo2?.encryption).toBe(policy === 'server-side' ? 'server-side' : 'e2ee')
    }, 60_000)
  })
}
