/**
 * The client's conversation registry: one `Conversation` object per id even when `list()`
 * and `open()` race on a fresh client (events reach the object the caller holds).
 */
import { afterAll, describe, expect, it } from 'vitest'
import { memoryKeyStore, type KeyStore, type Message, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

describe('client conversation registry', () => {
  let server: TestServer
  const clients: ParleyClient[] = []
  afterAll(async () => {
    for (const c of clients) await c.close()
    await server?.close()
  })

  it('list() racing open() on a fresh client yields one object per conversation id', async () => {
    server = await startServer({ policy: 'optional-e2ee' })
    const bob = await connect(server.url, 'bob')
    clients.push(bob)
    for (let round = 0; round < 5; round++) {
      // A registered user whose device has never seen its conversation with Bob: registered,
      // offline while Bob opens it, then back with the same key store.
      const user = `fresh-${round}`
      const ks = memoryKeyStore()
      const keep: KeyStore = { ...ks, close: async () => {} }
      await (await connect(server.url, user, { keyStore: keep })).close()
      const cb = await bob.conversations.open(user)
      const fresh = await connect(server.url, user, { keyStore: keep })
      clients.push(fresh)
      expect(fresh.conversations.get(cb.id)).toBeUndefined()
      const [listed, opened] = await Promise.all([fresh.conversations.list(), fresh.conversations.open('bob')])
      const fromList = listed.find((c) => c.id === cb.id)
      expect(opened.id).toBe(cb.id)
      expect(fromList).toBe(opened)
      expect(fresh.conversations.get(cb.id)).toBe(opened)
      const got: Message[] = []
      opened.on('message', (m) => got.push(m))
      await cb.send({ text: `reaches the object the caller holds ${round}` })
      await waitFor(() => got.some((m) => m.text === `reaches the object the caller holds ${round}`), 10_000, 'message on the returned object')
    }
  }, 60_000)
})
