/**
 * Found in review — a readable frame built (and queued) before the conversation was pinned
 * E2EE must never leave readable afterwards. bob sends while the conversation is server-side;
 * the frame never gets an ack (the proxy holds it and the server never stores it); alice
 * upgrades; bob restarts on the same key store. Safe outcome: the queued message is built again
 * and sent E2EE. Control: bob's first attempt really was a readable frame.
 */
import { afterEach, expect, it } from 'vitest'
import { memoryKeyStore, type KeyStore, type Message, type ParleyClient } from '@parley/client'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

it('a queued readable frame is rebuilt E2EE after the conversation is pinned', async () => {
  server = await startServer({ policy: 'optional-e2ee' })
  proxy = await startTamperProxy(server.url)
  const alice = await connect(server.url, 'alice')
  const inner = memoryKeyStore()
  const bobStore: KeyStore = { ...inner, close: async () => undefined }
  let bob = await connect(proxy.url, 'bob', { keyStore: bobStore })
  clients.push(alice)
  const ca = await alice.conversations.open('bob')
  const cb = await bob.conversations.open('alice')
  const sent: any[] = []
  let hold = true
  proxy.hooks.request = (event, req) => {
    if (event !== 'message.send') return req
    sent.push(req)
    // Held: the server never stores it (unknown conversation) and bob never hears back.
    return hold ? { ...req, conversationId: 'c_nowhere' } : req
  }
  proxy.hooks.ack = (event, _req, res) => (event === 'message.send' && hold ? new Promise(() => {}) : res)
  void cb.send({ text: 'queued while server-side' }).catch(() => {})
  await waitFor(() => sent.length === 1, 10_000, 'the first attempt')
  expect(sent[0].mode).toBe('server-side') // control: it was built readable
  await bob.close()

  await ca.upgradeToE2EE()
  hold = false
  const aliceGot: Message[] = []
  ca.on('message', (m) => m.status === 'received' && aliceGot.push(m))
  bob = await connect(proxy.url, 'bob', { keyStore: bobStore })
  clients.push(bob)
  await waitFor(() => aliceGot.length === 1, 15_000, 'alice receives the queued message')
  expect(aliceGot[0]).toMatchObject({ text: 'queued while server-side', encryption: 'e2ee' })
  expect(sent.slice(1).every((f) => f.mode === 'e2ee')).toBe(true)
  expect(sent.slice(1).some((f) => 'body' in f)).toBe(false)
})
