/**
 * Prekey batches: a fresh device registers comfortably more one-time prekeys (X25519 and
 * ML-KEM) than the server's `keys.low` threshold, so the first bundle claims do not make it
 * regenerate keys at once; and fetching one's own user spends none of one's own prekeys.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { KEYS_LOW_THRESHOLD } from '@parley/server'
import type { ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

describe('client prekey batches', () => {
  let server: TestServer
  const clients: ParleyClient[] = []
  afterAll(async () => {
    for (const c of clients) await c.close()
    await server?.close()
  })

  it('a fresh device is not asked to refill after its first bundle claims', async () => {
    server = await startServer({ policy: 'default-e2ee' })
    const store = server.parley.store()
    const alice = await connect(server.url, 'alice')
    const initial = await store.countPreKeys('alice', alice.deviceId)
    expect(initial.oneTimePreKeys).toBeGreaterThanOrEqual(5 * KEYS_LOW_THRESHOLD)
    expect(initial.kemOneTimePreKeys).toBeGreaterThanOrEqual(2 * KEYS_LOW_THRESHOLD)

    // Three peers each claim one bundle of Alice's device (their first E2EE message to her).
    for (const peer of ['bob', 'carol', 'dave']) {
      const p = await connect(server.url, peer)
      clients.push(p)
      await (await p.conversations.open('alice')).send({ text: `hi from ${peer}` })
    }
    // Alice answers: her fetches of her peers' (and her own) user spend none of her keys.
    for (const peer of ['bob', 'carol', 'dave']) await (await alice.conversations.open(peer)).send({ text: `hi ${peer}` })
    clients.push(alice)
    // keys.low would be answered about a second later; give it time to show.
    await new Promise((r) => setTimeout(r, 1_800))
    expect(await store.countPreKeys('alice', alice.deviceId)).toEqual({
      oneTimePreKeys: initial.oneTimePreKeys - 3,
      kemOneTimePreKeys: initial.kemOneTimePreKeys - 3,
    })
  }, 60_000)

  it('a device running low still refills after the burst', async () => {
    const store = server.parley.store()
    const erin = await connect(server.url, 'erin')
    clients.push(erin)
    const initial = await store.countPreKeys('erin', erin.deviceId)
    const claims = initial.kemOneTimePreKeys - KEYS_LOW_THRESHOLD + 1
    for (let i = 0; i < claims; i++) {
      const p = await connect(server.url, `erin-peer-${i}`)
      clients.push(p)
      await (await p.conversations.open('erin')).send({ text: 'hi' })
    }
    await waitFor(async () => (await store.countPreKeys('erin', erin.deviceId)).kemOneTimePreKeys > initial.kemOneTimePreKeys - claims, 15_000, 'refill')
  }, 60_000)
})
