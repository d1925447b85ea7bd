/**
 * `keys.fetch` limits from the server options: per requester→target and per requester, kept in
 * the store, refusing with `rate_limited` (scope `keys.fetch`, `retryAfterMs`) and refilling on
 * the server's clock. The two-node / reconnect drain is in packages/tests (hostile row 8).
 */
import { createServer } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import { createParleyServer } from '../src/create-server.js'
import { memoryStore } from '../src/store/memory-store.js'
import { call, connectDevice, type TestDevice } from './helpers/client.js'
import { makeTestUser } from './helpers/device.js'
import { startTestServer, testAuthenticate, type TestServer } from './helpers/server.js'

let server: TestServer | undefined
const devices: TestDevice[] = []
afterEach(async () => {
  for (const d of devices.splice(0)) d.close()
  await server?.close()
  server = undefined
})

describe('keys.fetch limits', () => {
  it('per target and per requester, from limits.keysFetchPerTarget / keysFetch, refilled on the server clock', async () => {
    let clock = 1_000_000
    server = await startTestServer({
      now: () => clock,
      limits: { keysFetchPerTarget: { capacity: 2, refillPerSecond: 1 / 60 }, keysFetch: { capacity: 3, refillPerSecond: 1 / 60 } },
    })
    const [t1, t2] = [makeTestUser(1), makeTestUser(1)]
    devices.push(await connectDevice(server.url, t1, 0, { oneTime: 10 }), await connectDevice(server.url, t2, 0, { oneTime: 10 }))
    const me = await connectDevice(server.url, makeTestUser(1))
    devices.push(me)
    const fetch = (userId: string) => call(me.socket, 'keys.fetch', { userId })
    expect((await fetch(t1.userId)).ok).toBe(true)
    expect((await fetch(t1.userId)).ok).toBe(true)
    const perTarget = await fetch(t1.userId)
    expect(perTarget.ok).toBe(false)
    expect(!perTarget.ok && perTarget.error).toMatchObject({ code: 'rate_limited', details: { scope: 'keys.fetch', retryAfterMs: 60_000 } })
    expect((await fetch(t2.userId)).ok).toBe(true) // another target: its own bucket
    const perRequester = await fetch(t2.userId)
    expect(!perRequester.ok && perRequester.error).toMatchObject({ code: 'rate_limited', details: { scope: 'keys.fetch', retryAfterMs: 60_000 } })
    expect(await server.parley.store().countPreKeys(t1.userId, 'd1')).toMatchObject({ oneTimePreKeys: 8 })
    clock += 60_000
    expect((await fetch(t1.userId)).ok).toBe(true)
    expect((await fetch(t1.userId)).ok).toBe(false)
  })

  it('a limit with capacity < 1 or refill ≤ 0 is refused at creation', () => {
    for (const bad of [{ capacity: 0, refillPerSecond: 1 }, { capacity: 5, refillPerSecond: 0 }]) {
      for (const key of ['keysFetch', 'keysFetchPerTarget'] as const) {
        expect(() => createParleyServer({ httpServer: createServer(), policy: 'server-side', store: memoryStore(), authenticate: testAuthenticate, limits: { [key]: bad } }))
          .toThrow(RangeError)
      }
    }
  })
})
