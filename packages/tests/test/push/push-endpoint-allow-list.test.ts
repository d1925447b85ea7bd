/**
 * A hostile client against the server's Web Push sender (docs/push.md, threat-model row 18b):
 * mallory registers a well-formed https endpoint inside the server's own network (here a
 * loopback port standing in for an internal service) and gets messages while offline, so the
 * server's `onOfflineDelivery` runs for her device. The default `webPushSender` refuses the
 * endpoint without a request and reports it; control: the same registration with that origin
 * allowed is contacted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { webPushSender } from '@parley/server'
import { memoryKeyStore, type ParleyClient } from '@parley/client'
import { startPushEndpoint, testSubscription, vapidKeys, type PushEndpoint } from '../../../server/test/helpers/push-endpoint.js'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'

const clients: ParleyClient[] = []
let server: TestServer | undefined
let internal: PushEndpoint | undefined
afterEach(async () => {
  await closeAll({ clients, server })
  server = undefined
  await internal?.close()
})

/** What one run saw: requests at the internal endpoint, what the sender threw, what `onError` got. */
interface Seen { requests: number; thrown: unknown[]; errors: unknown[] }

async function run(allowInternal: boolean): Promise<Seen> {
  internal = await startPushEndpoint()
  const vapid = vapidKeys()
  const send = webPushSender({ vapid, agent: internal.agent, ...(allowInternal ? { allowEndpoint: (u: URL) => u.origin === internal!.origin } : {}) })
  let calls = 0
  const thrown: unknown[] = []
  server = await startServer({
    policy: 'default-e2ee',
    onOfflineDelivery: async (d, ctx) => {
      calls++
      try {
        await send(d, ctx)
      } catch (e) {
        thrown.push(e)
        throw e
      }
    },
  })
  const alice = await connect(server.url, 'alice')
  const mallory = await connect(server.url, 'mallory', { keyStore: memoryKeyStore() })
  clients.push(alice, mallory)
  const c = await alice.conversations.open('mallory')
  await mallory.conversations.open('alice')
  await mallory.registerPushToken({ kind: 'web-push', subscription: testSubscription(`${internal.origin}/admin/reset`) })
  await mallory.close()
  const io = server.parley.io
  await waitFor(() => ![...io.of('/').sockets.values()].some((s) => s.data.userId === 'mallory'), 10_000, 'mallory offline at the server')
  await c.send({ text: 'wake mallory' })
  await waitFor(() => calls > 0, 10_000, 'the hook ran for mallory')
  await alice.close() // only the push in flight while the server closes
  await server.close() // runs pending batches
  return { requests: internal.received.length, thrown, errors: server.errors }
}

describe('webPushSender and a client-chosen endpoint inside the network', () => {
  it('refuses it by default: no request, the refusal reported', async () => {
    const { requests, thrown, errors } = await run(false)
    expect(requests).toBe(0)
    // Messages in the assertions, so a failure says what was thrown or reported instead.
    expect(thrown.map(String)).toEqual([expect.stringMatching(/push endpoint host not allowed: 127\.0\.0\.1/)])
    expect(errors.filter((e) => thrown.includes(e)).map(String), `reported: ${errors.map(String).join('; ')}`).toEqual(thrown.map(String))
  })

  it('control: allowed explicitly, the same registration is contacted', async () => {
    const { requests, thrown, errors } = await run(true)
    expect(requests).toBeGreaterThan(0)
    expect(thrown.map(String)).toEqual([])
    expect(errors.map(String)).toEqual([])
  })
})
