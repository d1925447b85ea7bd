/**
 * `createParleyClient({ minimumMode: 'e2ee' })`: the app requires E2EE whatever the server
 * says. Under `server-side` a conversation is refused; under `optional-e2ee` one the server
 * holds as server-side is upgraded with this device's signed `ModeChange` before anything is
 * sent, and a readable frame is never shown — even one the server delivers before the upgrade.
 * Control: the same forged readable frame is shown by a client without the option.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Message, ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer, closeAll } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'
import { asReadable } from './_world.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

describe('minimumMode: e2ee', () => {
  it('refuses a conversation under the server-side policy', async () => {
    server = await startServer({ policy: 'server-side' })
    const alice = await connect(server.url, 'alice')
    const bob = await connect(server.url, 'bob', { minimumMode: 'e2ee' })
    clients.push(alice, bob)
    await expect(bob.conversations.open('alice')).rejects.toMatchObject({ code: 'policy_violation' })
  })

  it('upgrades on open under optional-e2ee; the peer and the server see E2EE', async () => {
    server = await startServer({ policy: 'optional-e2ee' })
    const alice = await connect(server.url, 'alice')
    const bob = await connect(server.url, 'bob', { minimumMode: 'e2ee' })
    clients.push(alice, bob)
    const cb = await bob.conversations.open('alice')
    expect(cb.encryption).toBe('e2ee')
    const ca = await alice.conversations.open('bob')
    await waitFor(() => ca.encryption === 'e2ee', 10_000, 'alice sees the upgrade')
    const got: Message[] = []
    cb.on('message', (m) => m.status === 'received' && got.push(m))
    await ca.send({ text: 'encrypted' })
    await waitFor(() => got.length === 1, 10_000, 'bob receives')
    expect(got[0]).toMatchObject({ text: 'encrypted', encryption: 'e2ee' })
  })

  it.each([true, false])('a peer-opened server-side conversation and a forged readable frame (minimumMode e2ee: %s; false is the control)', async (strict) => {
    server = await startServer({ policy: 'optional-e2ee' })
    proxy = await startTamperProxy(server.url)
    const alice = await connect(server.url, 'alice')
    const bob = await connect(proxy.url, 'bob', strict ? { minimumMode: 'e2ee' } : {})
    clients.push(alice, bob)
    let forged = false
    proxy.hooks.serverFrame = (event, frame) => {
      if (forged || event !== 'message' || frame.kind !== 'message' || frame.sender.userId !== 'alice') return [frame]
      forged = true
      return [asReadable(frame, 'readable, crafted by the server')]
    }
    const ca = await alice.conversations.open('bob')
    await waitFor(() => bob.conversations.get(ca.id) !== undefined, 10_000, 'bob learns of the conversation')
    const cb = bob.conversations.get(ca.id)!
    const got: Message[] = []
    const errors: string[] = []
    cb.on('message', (m) => m.status === 'received' && got.push(m))
    cb.on('error', (e) => errors.push(e.error.code))
    await ca.send({ text: 'plain' })
    await waitFor(() => forged && (got.length > 0 || errors.length > 0), 10_000, 'the forged frame arrives')
    if (!strict) {
      expect(got.map((m) => m.text)).toEqual(['readable, crafted by the server'])
      return
    }
    expect(got).toEqual([])
    expect(errors).toContain('downgrade_rejected')
    expect(cb.encryption).toBe('e2ee')
    // bob's first send upgrades the conversation with his signed record, then goes E2EE.
    const aliceGot: Message[] = []
    ca.on('message', (m) => m.status === 'received' && aliceGot.push(m))
    await cb.send({ text: 'only encrypted' })
    await waitFor(() => aliceGot.length === 1, 10_000, 'alice receives')
    expect(aliceGot[0]).toMatchObject({ text: 'only encrypted', encryption: 'e2ee' })
    expect(ca.encryption).toBe('e2ee')
  })
})
