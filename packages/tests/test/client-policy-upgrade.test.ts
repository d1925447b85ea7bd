/**
 * Moving the policy up: a conversation that was server-side (under `server-side` or
 * `optional-e2ee`) is upgraded on its next send after the server restarts under
 * `default-e2ee` — the client refreshes what it cached on reconnect (and on the
 * `upgrade_required` notice), sends a signed `mode.upgrade`, then sends E2EE; the store holds
 * only ciphertext for the new message. Also: a stale cache (nothing told the client) is
 * recovered from the server's `policy_violation` by refreshing and upgrading once.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { memoryStore, type ParleyStore } from '@parley/server'
import type { ModeEventPayload, ParleyClient } from '@parley/client'
import type { FlagEvent, ModerationPlugin, Notice, Policy } from '@parley/protocol'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

async function expectCiphertextOnly(store: ParleyStore, conversationId: string, viewer: { userId: string; deviceId: string }, seq: number, marker: string): Promise<void> {
  const rows = await store.history(conversationId, viewer, undefined, 100, Date.now())
  const row = rows.find((r) => r.message.seq === seq)
  expect(row).toBeDefined()
  expect(row!.message.mode).toBe('e2ee')
  expect(row!.message.sealedBody).toBeUndefined()
  expect(JSON.stringify(row).includes(marker)).toBe(false)
  expect(rows.some((r) => r.message.kind === 'mode_change')).toBe(true)
}

for (const before of ['server-side', 'optional-e2ee'] as const satisfies readonly Policy[]) {
  describe(`policy ${before} → default-e2ee across a server restart`, () => {
    const servers: TestServer[] = []
    const clients: ParleyClient[] = []
    afterAll(async () => {
      for (const c of clients) await c.close()
      for (const s of servers) await s.close().catch(() => {})
    })

    it('the next send upgrades the conversation, then goes E2EE', async () => {
      const store = memoryStore()
      // The store outlives the first server (close() would close it: a memory store keeps its data).
      const first = await startServer({ policy: before, store: { ...store, close: async () => {} } as ParleyStore })
      servers.push(first)
      const port = Number(new URL(first.url).port)
      const alice = await connect(first.url, 'alice')
      const bob = await connect(first.url, 'bob')
      clients.push(alice, bob)
      const ca = await alice.conversations.open('bob')
      const cb = await bob.conversations.open('alice')
      await ca.send({ text: 'readable before' })
      expect(ca.encryption).toBe('server-side')
      expect(ca.upgradeRequired).toBe(false)
      const modes: ModeEventPayload[] = []
      const notices: Notice[] = []
      ca.on('mode', (m) => modes.push(m))
      ca.on('notice', (n) => notices.push(n))
      const errors: string[] = []
      alice.on('error', (e) => errors.push(e.error.code))

      await first.close()
      servers.splice(0)
      await waitFor(() => !alice.connected && !bob.connected, 10_000, 'clients see the server go')
      const second = await startServer({ policy: 'default-e2ee', store, port })
      servers.push(second)
      await alice.whenReady(15_000)
      await bob.whenReady(15_000)
      expect(alice.manifest?.policy).toBe('default-e2ee')
      // Refreshed on reconnect, before any queued send goes out.
      expect(ca.upgradeRequired).toBe(true)
      expect(ca.encryption).toBe('server-side')

      const marker = `secret-after-restart-${before}`
      const ack = await ca.send({ text: marker })
      expect(ca.encryption).toBe('e2ee')
      expect(modes.map((m) => m.encryption)).toEqual(['e2ee'])
      expect(modes[0]!.by?.userId).toBe('alice')
      await waitFor(() => notices.some((n) => n.kind === 'upgrade_required'), 10_000, 'upgrade_required notice')
      await expectCiphertextOnly(second.parley.store(), ca.id, { userId: 'bob', deviceId: bob.deviceId }, ack.seq, marker)
      const got: string[] = []
      cb.on('message', (m) => got.push(`${m.encryption}:${m.text}`))
      await waitFor(() => cb.encryption === 'e2ee', 10_000, 'peer pins e2ee')
      const back = await cb.send({ text: 'reply' })
      expect(back.seq).toBeGreaterThan(ack.seq)
      expect(errors).toEqual([])
    }, 60_000)
  })
}

describe('a stale upgradeRequired is recovered from the server\'s policy_violation', () => {
  const clients: ParleyClient[] = []
  const servers: TestServer[] = []
  afterAll(async () => {
    for (const c of clients) await c.close()
    for (const s of servers) await s.close()
  })

  it('refreshes, upgrades and resends once', async () => {
    const store = memoryStore()
    const server = await startServer({ policy: 'optional-e2ee', store })
    servers.push(server)
    const alice = await connect(server.url, 'alice')
    const bob = await connect(server.url, 'bob')
    clients.push(alice, bob)
    const ca = await alice.conversations.open('bob')
    await ca.send({ text: 'readable before' })
    // The stored conversation starts requiring an upgrade behind the client's back (no notice
    // reaches a connected device): the client's cache still says no upgrade is needed.
    await store.applyPolicy('default-e2ee', Date.now())
    expect(ca.upgradeRequired).toBe(false)
    const errors: string[] = []
    alice.on('error', (e) => errors.push(e.error.code))
    const marker = 'secret-stale-cache'
    const ack = await ca.send({ text: marker })
    expect(ca.encryption).toBe('e2ee')
    await expectCiphertextOnly(server.parley.store(), ca.id, { userId: 'bob', deviceId: bob.deviceId }, ack.seq, marker)
    expect(errors).toEqual([])
  }, 60_000)

  it('a message queued as readable and sent E2EE after the upgrade still goes through local moderation', async () => {
    const store = memoryStore()
    const server = await startServer({ policy: 'optional-e2ee', store })
    servers.push(server)
    const flagged: FlagEvent[] = []
    const words: ModerationPlugin = {
      name: 'words', version: '1.0.0',
      checkOutgoing: (m) => m.text.includes('forbidden') ? { action: 'block', reason: 'word' } : m.text.includes('suspicious') ? { action: 'flag', reason: 'word' } : { action: 'allow' },
    }
    const erin = await connect(server.url, 'erin', { plugins: [words], onFlag: (e) => void flagged.push(e) })
    const frank = await connect(server.url, 'frank')
    clients.push(erin, frank)
    const ce = await erin.conversations.open('frank')
    await ce.send({ text: 'readable before' })
    await store.applyPolicy('default-e2ee', Date.now())
    expect(ce.upgradeRequired).toBe(false)
    // Both are queued as readable sends; the server refuses them; they go E2EE after the upgrade.
    const blocked = ce.send({ text: 'something forbidden' })
    const passed = ce.send({ text: 'something suspicious' })
    await expect(blocked).rejects.toMatchObject({ code: 'message_blocked' })
    const ack = await passed
    expect(ce.encryption).toBe('e2ee')
    await waitFor(() => flagged.length > 0, 10_000, 'flag raised')
    expect(flagged.map((f) => [f.where, f.messageId])).toEqual([['client', ack.messageId]])
    const rows = await server.parley.store().history(ce.id, { userId: 'frank', deviceId: frank.deviceId }, undefined, 100, Date.now())
    expect(JSON.stringify(rows).includes('forbidden')).toBe(false)
  }, 60_000)
})
