/**
 * `keys.fetch` for one's own user: the requesting device gets its other devices' bundles, not
 * its own, and none of its own one-time prekeys is consumed (nor does it hear `keys.low` for
 * them). Memory store and PGlite (the SQL store).
 */
import { describe, expect, it } from 'vitest'
import type { ParleyStore } from '../src/store/store.js'
import { memoryStore } from '../src/store/memory-store.js'
import { connectDevice, Collector, ok, type TestDevice } from './helpers/client.js'
import { makeTestUser } from './helpers/device.js'
import { freshPgliteStore } from './helpers/pglite.js'
import { startTestServer } from './helpers/server.js'

async function scenario(store: ParleyStore): Promise<void> {
  const server = await startTestServer({ store })
  const devices: TestDevice[] = []
  try {
    const user = makeTestUser(2)
    const d1 = await connectDevice(server.url, user, 0, { oneTime: 3, kemOneTime: 2 })
    devices.push(d1)
    const d2 = await connectDevice(server.url, user, 1, { oneTime: 3, kemOneTime: 2 })
    devices.push(d2)
    const lowD1 = new Collector(d1.socket, 'keys.low')
    const lowD2 = new Collector(d2.socket, 'keys.low')

    const got = await ok(d1.socket, 'keys.fetch', { userId: user.userId })
    expect(got.bundles.map((b) => b.deviceId)).toEqual(['d2'])
    expect(got.bundles[0]!.oneTimePreKey).toBeDefined()
    expect(got.bundles[0]!.kemPreKeyIsLastResort).toBe(false)
    // The device list still names every device of the user.
    expect(got.deviceList.devices.map((d) => d.deviceId).sort()).toEqual(['d1', 'd2'])

    const s = server.parley.store()
    expect(await s.countPreKeys(user.userId, 'd1')).toEqual({ oneTimePreKeys: 3, kemOneTimePreKeys: 2 })
    expect(await s.countPreKeys(user.userId, 'd2')).toEqual({ oneTimePreKeys: 2, kemOneTimePreKeys: 1 })

    // The owner of the claimed keys hears keys.low; the requester does not (nothing of its was claimed).
    await lowD2.count(1)
    // A second fetch by d1 (ordered after the first on the same socket) again leaves d1 alone.
    const again = await ok(d1.socket, 'keys.fetch', { userId: user.userId })
    expect(again.bundles.map((b) => b.deviceId)).toEqual(['d2'])
    await lowD2.count(2)
    expect(lowD1.items).toEqual([])
    expect(await s.countPreKeys(user.userId, 'd1')).toEqual({ oneTimePreKeys: 3, kemOneTimePreKeys: 2 })

    // Another user fetching still gets (and consumes) every device's bundle.
    const other = await connectDevice(server.url, makeTestUser(1))
    devices.push(other)
    const theirs = await ok(other.socket, 'keys.fetch', { userId: user.userId })
    expect(theirs.bundles.map((b) => b.deviceId)).toEqual(['d1', 'd2'])
    expect(await s.countPreKeys(user.userId, 'd1')).toEqual({ oneTimePreKeys: 2, kemOneTimePreKeys: 1 })
  } finally {
    for (const d of devices) d.close()
    await server.close()
  }
}

describe('keys.fetch for the caller\'s own user', () => {
  it('memory store', async () => {
    await scenario(memoryStore())
  }, 30_000)

  it('PGlite', async () => {
    await scenario(await freshPgliteStore())
  }, 60_000)
})
