/**
 * A live delivery lost on the way (a node SIGKILLed between commit and fan-out, a Redis
 * outage: socket.io's fan-out is at-most-once) must not be skipped by a connected client.
 * Inbox ids are consecutive per device, so when the next live delivery arrives with a gap the
 * client catches up from its cursor first and never moves its cursor over the missing ones.
 * Found by the node-kill fault scenario (test/fault/node-kill.test.ts); before the fix the
 * dropped message was never shown and the cursor was acked past it, so even a reconnect did
 * not bring it back. Control: the proxy did drop the first live delivery.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Message, ParleyClient } from '@parley/client'
import type { Policy } from '@parley/protocol'
import { closeAll, connect, startServer, waitFor, type TestServer } from './helpers/parley.js'
import { startTamperProxy, type TamperProxy } from './helpers/tamper-proxy.js'

const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

let server: TestServer | undefined
let proxy: TamperProxy | undefined
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

describe.each(POLICIES)('a lost live delivery (%s)', (policy) => {
  it('the next live delivery shows the gap and the client catches up, without reconnecting', async () => {
    server = await startServer({ policy })
    proxy = await startTamperProxy(server.url)
    const alice = await connect(server.url, 'alice')
    const bob = await connect(proxy.url, 'bob')
    clients.push(alice, bob)
    const ca = await alice.conversations.open('bob')
    const cb = await bob.conversations.open('alice')
    const got: Message[] = []
    cb.on('message', (m) => m.status === 'received' && got.push(m))
    let readies = 0
    bob.on('ready', () => readies++)
    await ca.send({ text: 'before' })
    await waitFor(() => got.length === 1, 10_000, 'first message')

    const dropped: string[] = []
    proxy.hooks.serverFrame = (event, frame) => {
      if (event === 'message' && dropped.length === 0) {
        dropped.push(frame.messageId)
        return []
      }
      return [frame]
    }
    const lost = await ca.send({ text: 'lost on the way' })
    await waitFor(() => dropped.length === 1, 10_000, 'the proxy drops the live delivery')
    expect(dropped).toEqual([lost.messageId]) // control: the attack reached the client's path
    await new Promise((r) => setTimeout(r, 200))
    expect(got.map((m) => m.text)).toEqual(['before'])

    await ca.send({ text: 'next' })
    await waitFor(() => got.length === 3, 10_000, 'the lost message and the next one')
    expect(got.map((m) => m.text)).toEqual(['before', 'lost on the way', 'next'])
    expect(readies).toBe(0) // no reconnect: the gap alone brought it back
    await new Promise((r) => setTimeout(r, 200)) // a duplicate would arrive now
    expect(got).toHaveLength(3)
  }, 30_000)
})
