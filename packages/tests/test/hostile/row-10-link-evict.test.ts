/**
 * Row 10, found in review — a hostile server lists 1,000 junk conversations (bob is a member,
 * accepted on first sight) with a far-future `createdAt` to the existing device, hoping the
 * real E2EE pin falls out of the capped link payload so the new device takes the server's
 * "server-side" for it. Safe outcome: every E2EE pin travels (server-side ones fill the rest,
 * ordered by the device's own first-seen clock), so the new device holds the 1:1 as E2EE and
 * sends E2EE. Control: the junk reached the existing device (it holds the junk conversations).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_LINK_PINS } from '@parley/protocol'
import { memoryKeyStore, requestDeviceLink, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

describe('row 10: evicting a pin from the link payload', () => {
  it('the E2EE 1:1 survives a link after 1000 junk conversations', async () => {
    server = await startServer({ policy: 'optional-e2ee' })
    proxy = await startTamperProxy(server.url)
    const alice = await connect(server.url, 'alice')
    const bob1 = await connect(proxy.url, 'bob')
    clients.push(alice, bob1)
    const ca = await alice.conversations.open('bob')
    const cb1 = await bob1.conversations.open('alice')
    await ca.upgradeToE2EE()
    await waitFor(() => cb1.encryption === 'e2ee', 10_000, 'bob1 pinned')

    const junk = Array.from({ length: MAX_LINK_PINS }, (_, i) => ({
      id: `c_junk_${i}`, kind: 'direct', members: ['bob', `sock${i}`], encryption: 'server-side', upgradeRequired: false, createdAt: Number.MAX_SAFE_INTEGER, lastSeq: 0,
    }))
    let phase = 'junk'
    const downgrade = (i: any) => (i.id === ca.id ? (({ modeChange: _m, ...rest }) => ({ ...rest, encryption: 'server-side', upgradeRequired: false }))(i) : i)
    proxy.hooks.ack = (event, _req, res) => {
      if (event === 'conversation.list' && res.ok) {
        if (phase === 'junk') return { ok: true, data: { conversations: [...res.data.conversations, ...junk] } }
        return { ok: true, data: { conversations: res.data.conversations.map(downgrade) } }
      }
      if (event === 'conversation.open' && res.ok) return { ok: true, data: { conversation: downgrade(res.data.conversation) } }
      return res
    }
    await bob1.conversations.list()
    expect(bob1.conversations.get('c_junk_0')).toBeDefined() // control: the junk arrived
    phase = 'downgrade'
    proxy.hooks.serverFrame = (event, frame) => (event === 'mode' ? [] : event === 'conversation' ? [downgrade(frame)] : [frame])
    const sent: any[] = []
    proxy.hooks.request = (event, req) => {
      if (event === 'message.send') sent.push(req)
      return req
    }
    const link = await requestDeviceLink({ deliveryReceipts: false, url: proxy.url, token: 'bob', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
    await bob1.linkDevice(link.code)
    const bob2 = await link.client
    clients.push(bob2)
    const cb2 = bob2.conversations.get(ca.id) ?? (await bob2.conversations.open('alice'))
    const mode = cb2.encryption
    await cb2.send({ text: 'from the new device' }).catch(() => {})
    expect({ mode, sentModes: sent.map((f) => f.mode) }).toEqual({ mode: 'e2ee', sentModes: ['e2ee'] })
  }, 60_000)
})
