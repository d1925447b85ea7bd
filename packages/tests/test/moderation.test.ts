/**
 * Client-side moderation for E2EE content: a required plugin the client lacks blocks sending
 * (MissingPluginError); a local plugin's block stops the message before anything is sent.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ModerationPlugin } from '@parley/protocol'
import type { ParleyClient } from '@parley/client'
import { connect, startServer, type TestServer } from './helpers/parley.js'

const noSpam: ModerationPlugin = {
  name: 'no-spam',
  version: '1.0.0',
  checkOutgoing: (msg) => (msg.text.includes('spam') ? { action: 'block', reason: 'spam' } : { action: 'allow' }),
}

let server: TestServer
const clients: ParleyClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  await server?.close()
})

describe('client-side moderation (e2ee)', () => {
  it('refuses E2EE sends when a required plugin is missing', async () => {
    server = await startServer({ policy: 'default-e2ee', plugins: [noSpam] })
    const alice = await connect(server.url, 'alice')
    const bob = await connect(server.url, 'bob', { plugins: [noSpam] })
    clients.push(alice, bob)
    expect(alice.manifest?.requiredPlugins).toEqual([{ name: 'no-spam', version: '1.0.0' }])
    const c = await alice.conversations.open('bob')
    await expect(c.send({ text: 'hello' })).rejects.toMatchObject({ code: 'missing_plugin' })
    expect(await alice.pendingCount()).toBe(0)
  })

  it('a local block throws MessageBlockedError and sends nothing', async () => {
    server = await startServer({ policy: 'default-e2ee', plugins: [noSpam] })
    const alice = await connect(server.url, 'alice', { plugins: [noSpam] })
    const bob = await connect(server.url, 'bob', { plugins: [noSpam] })
    clients.push(alice, bob)
    const c = await alice.conversations.open('bob')
    await expect(c.send({ text: 'buy spam now' })).rejects.toMatchObject({ code: 'message_blocked', details: { plugin: 'no-spam', reason: 'spam' } })
    expect(await alice.pendingCount()).toBe(0)
    expect((await c.history()).messages).toEqual([])
  })
})
