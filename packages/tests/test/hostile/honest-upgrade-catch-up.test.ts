/**
 * Honest server, nothing lost (found in review) — bob is offline; alice sends a readable
 * message, then upgrades. On reconnect the server pushes catch-up live ('message', 'message',
 * 'mode') while bob's client is still syncing, so the live deliveries sit buffered behind the
 * catch-up. The `mode` frame must pin only after them (`inbox.idle()` waits for the catch-up
 * and its buffer), or alice's pre-upgrade readable message would be refused as a downgrade and
 * lost. The proxy only adds latency (frames in order, the sync answer slower).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memoryKeyStore, type KeyStore, type ErrorPayload, type ParleyClient } from '@parley/client'
import { connect, fullHistory, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

describe('a readable message sent before an upgrade, received on reconnect', () => {
  it('bob gets the pre-upgrade message', async () => {
    server = await startServer({ policy: 'optional-e2ee' })
    proxy = await startTamperProxy(server.url)
    const alice = await connect(server.url, 'alice')
    const ks = memoryKeyStore()
    const bobStore: KeyStore = { ...ks, close: async () => {} }
    let bob = await connect(proxy.url, 'bob', { keyStore: bobStore })
    clients.push(alice)
    const ca = await alice.conversations.open('bob')
    const cb = await bob.conversations.open('alice')
    await ca.send({ text: 'first' })
    await waitFor(async () => (await fullHistory(bob, cb.id)).length === 1, 10_000, 'bob has first')
    await bob.close()
    await ca.send({ text: 'readable, before the upgrade' })
    await ca.upgradeToE2EE()

    // Latency only: pushed frames keep their order but arrive 30 ms later; the sync answer 300 ms later.
    let chain = Promise.resolve()
    proxy.hooks.serverFrame = (event, frame) => {
      if (event !== 'message' && event !== 'mode') return [frame]
      chain = chain.then(() => new Promise((r) => setTimeout(r, 30))).then(() => proxy.inject('bob', event, frame))
      return []
    }
    proxy.hooks.ack = (event, _req, res) => (event === 'inbox.sync' ? new Promise((r) => setTimeout(() => r(res), 300)) : res)

    const errors: ErrorPayload[] = []
    bob = await connect(proxy.url, 'bob', { keyStore: bobStore })
    clients.push(bob)
    bob.on('error', (e) => errors.push(e))
    await bob.whenReady()
    await waitFor(() => bob.conversations.get(cb.id)?.encryption === 'e2ee', 10_000, 'bob pinned')
    await new Promise((r) => setTimeout(r, 500))
    const texts = (await fullHistory(bob, cb.id)).map((m) => m.text)
    expect({ texts, errors: errors.map((e) => e.error.code) }).toEqual({ texts: ['first', 'readable, before the upgrade'], errors: [] })
  })
})
