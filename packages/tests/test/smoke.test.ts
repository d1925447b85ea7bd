import { afterAll, describe, expect, it } from 'vitest'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'
import type { Message, ParleyClient } from '@parley/client'

for (const policy of ['server-side', 'optional-e2ee', 'default-e2ee'] as const) {
  describe(`smoke: ${policy}`, () => {
    let server: TestServer
    const clients: ParleyClient[] = []
    afterAll(async () => {
      for (const c of clients) await c.close()
      await server?.close()
    })
    it('two users exchange messages', async () => {
      server = await startServer({ policy })
      const alice = await connect(server.url, 'alice')
      const bob = await connect(server.url, 'bob')
      clients.push(alice, bob)
      const ca = await alice.conversations.open('bob')
      const got: Message[] = []
      bob.on('message', (m) => got.push(m))
      const ack = await ca.send({ text: 'hello bob' })
      expect(ack.seq).toBeGreaterThanOrEqual(0)
      await waitFor(() => got.length === 1, 10_000, 'bob receives')
      expect(got[0]!.text).toBe('hello bob')
      expect(got[0]!.encryption).toBe(policy === 'default-e2ee' ? 'e2ee' : 'server-side')
      const cb = bob.conversations.get(ca.id)!
      expect(cb).toBeDefined()
      const back: Message[] = []
      ca.on('message', (m) => back.push(m))
      await cb.send({ text: 'hi alice' })
      await waitFor(() => back.some((m) => m.text === 'hi alice' && m.status === 'received'), 10_000, 'alice receives')
      // A report: the last N messages with franking openings, verified by the server the same way in every mode.
      const result = await cb.report({ reason: 'spam' })
      expect(result).toMatchObject({ duplicate: false, totalEntries: 2, verifiedEntries: 2 })
      await waitFor(() => server.reports.length === 1, 10_000, 'onReport')
      expect(server.reports[0]!.transcript.verified).toBe(true)
      expect(server.reports[0]!.entries.map((e) => e.text)).toEqual(['hello bob', 'hi alice'])
    })
  })
}
