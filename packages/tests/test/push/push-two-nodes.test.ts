/**
 * Push behind the Redis adapter (docs/push.md): whether a device is connected is asked of the
 * whole cluster, so a device connected to node B gets no push for a message sent through node A,
 * and gets one while it is offline. Skipped with a printed reason when Redis is unreachable
 * (run and failing under CI=true).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { OfflineDelivery } from '@parley/server'
import { memoryStore } from '@parley/server'
import { memoryKeyStore, type KeyStore, type ParleyClient } from '@parley/client'
import { randomStreamName, REDIS_URL, redisAvailable } from '../../../server/test/helpers/redis.js'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'

const redis = await redisAvailable()
const clients: ParleyClient[] = []
const servers: TestServer[] = []
afterEach(async () => {
  await closeAll({ clients })
  for (const s of servers.splice(0)) await s.close().catch(() => {})
})

describe.skipIf(!redis)('push across two nodes (Redis adapter)', () => {
  it('a device connected to node B gets no push for a message sent through node A; offline, it gets one', async () => {
    const streamName = randomStreamName()
    const store = memoryStore() // one store, two nodes (E2EE: no bodies sealed with a per-node data key)
    const atA: OfflineDelivery[] = []
    const nodeA = await startServer({ policy: 'default-e2ee', store, redis: { url: REDIS_URL, streamName }, onOfflineDelivery: (d) => void atA.push(d) })
    const nodeB = await startServer({ policy: 'default-e2ee', store, redis: { url: REDIS_URL, streamName }, onOfflineDelivery: () => { throw new Error('node B sends nothing here') } })
    servers.push(nodeB, nodeA) // A closes first (its pending batch runs while bob is still on B)
    const bobKeys: KeyStore = { ...memoryKeyStore(), close: async () => {} }
    const alice = await connect(nodeA.url, 'alice')
    let bob = await connect(nodeB.url, 'bob', { keyStore: bobKeys })
    clients.push(alice, bob)
    const ca = await alice.conversations.open('bob')
    await bob.conversations.open('alice')

    // Offline: bob's device is on no node, so node A's batch calls the hook.
    await bob.close()
    await waitFor(() => ![...nodeB.parley.io.of('/').sockets.values()].some((s) => s.data.userId === 'bob'), 10_000, 'bob gone from node B')
    await alice.conversations.get(ca.id)!.send({ text: 'while offline' })
    await waitFor(() => atA.length === 1, 10_000, 'the push for the offline device')
    expect([atA[0]!.device.userId, atA[0]!.count]).toEqual(['bob', 1])

    // Online on node B: the message arrives live and node A's batch (run at its close, at the latest) finds bob connected.
    bob = await connect(nodeB.url, 'bob', { keyStore: bobKeys })
    clients.push(bob)
    await waitFor(async () => (await bob.conversations.list()).some((c) => c.id === ca.id), 10_000, 'bob back')
    const cb = bob.conversations.get(ca.id)!
    const live = new Promise<void>((resolve) => {
      const off = cb.on('message', (m) => {
        if (m.text !== 'while online') return
        off()
        resolve()
      })
    })
    await alice.conversations.get(ca.id)!.send({ text: 'while online' })
    await live
    await nodeA.close()
    expect(atA.map((d) => d.messageId)).toHaveLength(1)
    expect(nodeA.errors.concat(nodeB.errors)).toEqual([])
  }, 60_000)
})
