/**
 * An honest client refused by the server's `keys.fetch` limit (`rate_limited` with
 * `retryAfterMs`) keeps its queued message and sends it once the bucket refills, instead of
 * failing the send.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ErrorPayload, Message, ParleyClient } from '@parley/client'
import { memoryStore } from '@parley/server'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

let server: TestServer
const clients: ParleyClient[] = []
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close()
  await server?.close()
})

describe('client under the keys.fetch limit', () => {
  it('a send whose bundle fetch is rate-limited is retried after retryAfterMs, not failed', async () => {
    // One fetch per requester at a time (refilled in ~0.3 s): alice's first send needs two
    // (bob's bundles and her own user's), so the second is refused.
    const store = memoryStore()
    const waits: number[] = []
    const take = store.takeTokens.bind(store)
    store.takeTokens = async (takes, now) => {
      const w = await take(takes, now)
      waits.push(w)
      return w
    }
    server = await startServer({ policy: 'default-e2ee', store, limits: { keysFetch: { capacity: 1, refillPerSecond: 3 } } })
    const bob = await connect(server.url, 'bob')
    const alice = await connect(server.url, 'alice')
    clients.push(bob, alice)
    const aliceErrors: ErrorPayload[] = []
    alice.on('error', (e) => void aliceErrors.push(e))
    const got: Message[] = []
    bob.on('message', (m) => void (m.status === 'received' && got.push(m)))
    const ca = await alice.conversations.open('bob')
    const sent = ca.send({ text: 'eventually' })
    await waitFor(() => got.some((m) => m.text === 'eventually'), 20_000, 'the message at bob')
    await expect(sent).resolves.toMatchObject({ seq: expect.any(Number) })
    expect(aliceErrors.filter((e) => e.error.code === 'rate_limited' && e.conversationId === ca.id)).toEqual([])
    // Control: the server really refused a fetch on the way.
    expect(waits.some((w) => w > 0)).toBe(true)
  }, 60_000)
})
