/**
 * One-time prekeys over the wire: 50 concurrent `keys.fetch` for a device with 10 one-time
 * prekeys hand out 10 distinct keys and 40 bundles without one — on PGlite and on PostgreSQL
 * (the two-process case is in slow-multinode.test.ts). Also: the owner hears `keys.low`.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { ParleyStore } from '../src/store/store.js'
import { postgresStore } from '../src/store/postgres-store.js'
import { connectDevice, Collector, type TestDevice } from './helpers/client.js'
import { expectTenDistinct, fiftyFetches } from './helpers/prekeys.js'
import { makeTestUser } from './helpers/device.js'
import { freshPgliteStore } from './helpers/pglite.js'
import { freshDatabase, postgresAvailable } from './helpers/postgres.js'
import { startTestServer } from './helpers/server.js'

const pgUp = await postgresAvailable()

async function scenario(store: ParleyStore): Promise<void> {
  const server = await startTestServer({ store, limits: { connection: { capacity: 1_000, refillPerSecond: 1_000 } } })
  const devices: TestDevice[] = []
  try {
    const owner = makeTestUser(1)
    const o = await connectDevice(server.url, owner, 0, { oneTime: 10, kemOneTime: 3 })
    devices.push(o)
    const low = new Collector(o.socket, 'keys.low')
    for (let i = 0; i < 5; i++) devices.push(await connectDevice(server.url, makeTestUser(1)))
    const ids = await fiftyFetches(devices.slice(1), owner.userId)
    expectTenDistinct(ids)
    const [warning] = await low.count(1)
    expect(warning!.threshold).toBe(10)
    expect(await server.parley.store().countPreKeys(owner.userId, 'd1')).toEqual({ oneTimePreKeys: 0, kemOneTimePreKeys: 0 })
  } finally {
    for (const d of devices) d.close()
    await server.close()
  }
}

describe('one-time prekeys under 50 concurrent fetches', () => {
  it('PGlite', async () => {
    await scenario(await freshPgliteStore())
  }, 60_000)

  describe.skipIf(!pgUp)('PostgreSQL', () => {
    let db: Awaited<ReturnType<typeof freshDatabase>> | undefined
    afterAll(async () => {
      await db?.drop()
    })
    it('PostgreSQL', async () => {
      db = await freshDatabase()
      await scenario(await postgresStore({ connectionString: db.url }))
    }, 60_000)
  })
})
