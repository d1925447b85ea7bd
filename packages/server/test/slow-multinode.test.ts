/**
 * Two server processes on one PostgreSQL + Redis (streams adapter): a client on node A reaches
 * a client on node B live (messages, typing, receipts, mode), and 50 concurrent bundle fetches
 * split over both nodes hand out each one-time prekey once. A graceful `close()` of a node that
 * Parley shares with the integrator (`io`) says goodbye to that node's clients only: behind the
 * adapter, the other node's clients stay connected.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Collector, connectDevice, ok, type TestDevice } from './helpers/client.js'
import { makeTestUser, modeChange, plainSend } from './helpers/device.js'
import { freshDatabase, postgresAvailable } from './helpers/postgres.js'
import { randomStreamName, REDIS_URL, redisAvailable } from './helpers/redis.js'
import { spawnServer, type ServerChild } from './helpers/spawn.js'
import { expectTenDistinct, fiftyFetches } from './helpers/prekeys.js'

const up = (await postgresAvailable()) && (await redisAvailable())

describe.skipIf(!up)('two nodes on PostgreSQL + Redis', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let nodeA: ServerChild
  let nodeB: ServerChild
  const devices: TestDevice[] = []

  beforeAll(async () => {
    db = await freshDatabase()
    const streamName = randomStreamName()
    const config = { store: 'postgres' as const, databaseUrl: db.url, redisUrl: REDIS_URL, streamName, policy: 'optional-e2ee' as const }
    // Start one after the other so both migrate against the advisory lock, then in parallel would work too.
    nodeA = await spawnServer(config)
    nodeB = await spawnServer(config)
  }, 120_000)
  afterAll(async () => {
    for (const d of devices) d.close()
    await nodeA?.kill()
    await nodeB?.kill()
    await db?.drop()
  }, 60_000)

  it('a client on node A reaches a client on node B live', async () => {
    const alice = makeTestUser(1)
    const bob = makeTestUser(1)
    const a = await connectDevice(nodeA.url, alice)
    const b = await connectDevice(nodeB.url, bob)
    devices.push(a, b)
    const typing = new Collector(b.socket, 'typing')
    const receipts = new Collector(a.socket, 'receipt')
    const { conversation } = await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })
    await ok(a.socket, 'typing.send', { conversationId: conversation.id, typing: true })
    const sent = await ok(a.socket, 'message.send', plainSend(conversation.id, 'across nodes'))
    const [got] = await b.messages.count(1)
    expect(got).toMatchObject({ messageId: sent.messageId, body: { text: 'across nodes' } })
    expect((await typing.count(1))[0]?.from.userId).toBe(alice.userId)
    await ok(b.socket, 'receipt.send', { conversationId: conversation.id, messageIds: [sent.messageId], status: 'delivered' })
    expect((await receipts.count(1))[0]?.status).toBe('delivered')
    await ok(b.socket, 'mode.upgrade', { modeChange: modeChange(bob, bob.devices[0]!, conversation.id) })
    expect((await a.modes.count(1))[0]?.encryption).toBe('e2ee')
    expect((await a.notices.count(1))[0]?.kind).toBe('mode_changed')
  }, 60_000)

  it('50 concurrent bundle fetches over both nodes: 10 distinct one-time keys, 40 without', async () => {
    const owner = makeTestUser(1)
    devices.push(await connectDevice(nodeA.url, owner, 0, { oneTime: 10 }))
    const fetchers: TestDevice[] = []
    for (let i = 0; i < 6; i++) fetchers.push(await connectDevice(i % 2 ? nodeB.url : nodeA.url, makeTestUser(1)))
    devices.push(...fetchers)
    expectTenDistinct(await fiftyFetches(fetchers, owner.userId))
  }, 60_000)

  it("a graceful close() of one node (mounted on the integrator's io) disconnects only its own clients", async () => {
    const db2 = db
    const config = { store: 'postgres' as const, databaseUrl: db2.url, redisUrl: REDIS_URL, streamName: randomStreamName(), policy: 'optional-e2ee' as const }
    const nodeC = await spawnServer({ ...config, mount: 'io' })
    const nodeD = await spawnServer(config)
    const carol = makeTestUser(1)
    const dave = makeTestUser(1)
    const c = await connectDevice(nodeC.url, carol)
    const d = await connectDevice(nodeD.url, dave)
    devices.push(c, d)
    const goodbyeC = new Collector(c.socket, 'goodbye')
    const goodbyeD = new Collector(d.socket, 'goodbye')
    const dropsD: string[] = []
    d.socket.on('disconnect', (reason: string) => dropsD.push(reason))
    // Both nodes share the adapter: carol on C reaches dave on D before the close.
    const { conversation } = await ok(c.socket, 'conversation.open', { peerUserId: dave.userId })
    await ok(c.socket, 'message.send', plainSend(conversation.id, 'before the drain'))
    await d.messages.count(1)

    await nodeC.kill('SIGTERM')
    // Control: the close ran and reached node C's client.
    expect((await goodbyeC.count(1))[0]).toEqual({ code: 'server_restarting' })
    await new Promise((r) => setTimeout(r, 1_000))
    expect(goodbyeD.items).toEqual([])
    expect(dropsD).toEqual([])
    expect(d.socket.connected).toBe(true)
    // Dave still works on node D.
    const { conversation: toCarol } = await ok(d.socket, 'conversation.open', { peerUserId: carol.userId })
    await ok(d.socket, 'message.send', plainSend(toCarol.id, 'after the drain'))
    await nodeD.kill()
  }, 90_000)
})
