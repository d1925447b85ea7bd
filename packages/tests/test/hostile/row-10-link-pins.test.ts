/**
 * Row 10 — a hostile server lists an E2EE conversation to a newly linked device as
 * server-side (and drops its `mode` frames), hoping the new device, with no pins of its own,
 * sends readable. Safe outcome: the link payload (encrypted under the link code) carries the
 * existing device's pins, so the new device holds the conversation as E2EE with its members
 * from the start and sends E2EE. Control: the downgraded listing reached the new device — its
 * copy of the server's claim says server-side while its pin says E2EE.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memoryKeyStore, requestDeviceLink, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

describe('row 10: a linked device inherits the pins', () => {
  it.each(['optional-e2ee', 'default-e2ee'] as const)('holds the E2EE conversation as E2EE against a downgraded listing (%s)', async (policy) => {
    server = await startServer({ policy })
    proxy = await startTamperProxy(server.url)
    const alice = await connect(server.url, 'alice')
    const bob1 = await connect(server.url, 'bob')
    clients.push(alice, bob1)
    const ca = await alice.conversations.open('bob')
    const cb1 = await bob1.conversations.open('alice')
    if (policy === 'optional-e2ee') await ca.upgradeToE2EE()
    await waitFor(() => cb1.encryption === 'e2ee', 10_000, 'bob1 pinned')

    // Everything bob2 hears about the conversation says server-side, without the signed record.
    const downgrade = (i: any) => (i.id === ca.id ? (({ modeChange: _m, ...rest }) => ({ ...rest, encryption: 'server-side', upgradeRequired: false }))(i) : i)
    const downgraded = { lists: 0 }
    proxy.hooks.ack = (event, _req, res) => {
      if (event === 'conversation.list' && res.ok && ++downgraded.lists) return { ok: true, data: { conversations: res.data.conversations.map(downgrade) } }
      if (event === 'conversation.open' && res.ok) return { ok: true, data: { conversation: downgrade(res.data.conversation) } }
      return res
    }
    const sent: any[] = []
    proxy.hooks.request = (event, req) => {
      if (event === 'message.send') sent.push(req)
      return req
    }
    proxy.hooks.serverFrame = (event, frame) => (event === 'mode' ? [] : event === 'conversation' ? [downgrade(frame)] : [frame])

    const link = await requestDeviceLink({ deliveryReceipts: false, url: proxy.url, token: 'bob', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
    await bob1.linkDevice(link.code)
    const bob2 = await link.client
    clients.push(bob2)
    const cb2 = bob2.conversations.get(ca.id)
    expect(cb2?.encryption).toBe('e2ee')
    expect([...cb2!.members].sort()).toEqual(['alice', 'bob'])
    const listed = await bob2.conversations.list()
    expect(listed.find((c) => c.id === ca.id)?.encryption).toBe('e2ee')
    // Control: the downgraded listing did reach bob2 (its copy of the server's claim says
    // server-side; the warning itself fired once, during start-up, before a listener could attach).
    expect(downgraded.lists).toBeGreaterThan(0)
    expect((cb2 as unknown as { _info: { encryption: string } })._info.encryption).toBe('server-side')

    const aliceGot: string[] = []
    ca.on('message', (m) => m.status === 'received' && aliceGot.push(m.text))
    await bob2.conversations.get(ca.id)!.send({ text: 'from the new device' })
    await waitFor(() => aliceGot.includes('from the new device'), 10_000, 'alice receives')
    expect(sent.at(-1).mode).toBe('e2ee')
  })
})
