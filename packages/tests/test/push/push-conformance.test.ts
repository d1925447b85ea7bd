/**
 * Push to offline devices in every policy, for a 1:1 and a group, one suite (issue 18,
 * docs/push.md), through the built-in `webPushSender` to a local push endpoint whose payloads
 * are decrypted in the test with the subscription's keys:
 * - an offline device gets exactly one push per batch: a batch held in its hook call makes the
 *   three messages sent meanwhile one push (`count: 3`, the newest message id);
 * - sentinel: every message carries a sentinel string; it appears in a push payload only as the
 *   preview of a server-side conversation's message, never in an E2EE one's payload nor in what
 *   the E2EE hook call received, and never in what the push service receives (ciphertext).
 *   Control: the device that was offline later decrypts every message and sees the sentinel.
 * - never for a connected device (bob once back, carol all along) nor for the sender.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidFrameError } from '@parley/protocol'
import { fullHistory, waitFor } from '../helpers/parley.js'
import { holds } from '../helpers/plaintext-scan.js'
import { testSubscription, vapidProblem } from '../../../server/test/helpers/push-endpoint.js'
import { CASES, pushWorld, type PushWorld } from './_push-world.js'

const SENTINEL = 'PUSH-SENTINEL-7f3a'

let w: PushWorld | undefined
afterEach(async () => {
  await w?.close()
  w = undefined
})

describe.each(CASES)('push to offline devices ($policy, $kind)', ({ policy, kind }) => {
  it('one push per batch; content only as a server-side preview, never in E2EE; none for connected devices', async () => {
    w = await pushWorld(policy, kind)
    const { alice, carol, endpoint } = w
    let bob = w.bob
    const bobSub = testSubscription(`${endpoint.origin}/push/bob`)

    // Registration: bad input is a typed error before anything is sent; the same subscription twice is one.
    await expect(bob.client.registerPushToken({ kind: 'web-push', subscription: { endpoint: 'http://127.0.0.1/x', keys: bobSub.keys } })).rejects.toBeInstanceOf(InvalidFrameError)
    await expect(bob.client.registerPushToken({ kind: 'web-push', subscription: { endpoint: bobSub.endpoint, keys: { ...bobSub.keys, auth: 'short' } } })).rejects.toBeInstanceOf(InvalidFrameError)
    const reg = await bob.client.registerPushToken({ kind: 'web-push', subscription: { endpoint: bobSub.endpoint, keys: bobSub.keys, expirationTime: null } })
    expect(reg.registrations).toBe(1)
    expect(await bob.client.registerPushToken({ kind: 'web-push', subscription: { toJSON: () => ({ endpoint: bobSub.endpoint, keys: bobSub.keys }) } })).toEqual(reg)
    expect((await bob.client.registerPushToken({ kind: 'token', provider: 'fcm', token: 'native-token-1' })).registrations).toBe(2)
    const tmp = await bob.client.registerPushToken({ kind: 'token', provider: 'apns', token: 'to-be-removed' })
    expect(await bob.client.unregisterPushToken(tmp.id)).toBe(true)
    expect(await bob.client.unregisterPushToken(tmp.id)).toBe(false)
    if (carol) await carol.client.registerPushToken({ kind: 'web-push', subscription: testSubscription(`${endpoint.origin}/push/carol`) })

    // Bob goes offline.
    await bob.client.close()
    await w.offline('bob')
    const sent: { id: string; text: string; mode: string }[] = []
    const say = async (text: string) => {
      const mode = alice.c.encryption
      const r = await alice.c.send({ text })
      sent.push({ id: r.messageId, text, mode })
    }

    // Batch 1, its hook call held; the three messages sent meanwhile are batch 2: one push.
    w.hold()
    await say(`one ${SENTINEL}`)
    await waitFor(() => w!.deliveries.length === 1, 10_000, 'the first hook call')
    for (const n of ['two', 'three', 'four']) await say(`${n} ${SENTINEL}`)
    w.release()
    await endpoint.waitFor(2)
    // optional-e2ee: the conversation is upgraded; from here on the server has no content.
    if (policy === 'optional-e2ee') await alice.c.upgradeToE2EE()
    await say(`five ${SENTINEL}`)
    await endpoint.waitFor(3)

    // Bob comes back: he decrypts every message and sees the sentinel (the control).
    bob = await w.reconnect(bob)
    await waitFor(async () => (await fullHistory(bob.client, bob.c.id)).filter((m) => m.text.includes(SENTINEL)).length === 5, 15_000, 'bob caught up')
    // A message while bob is connected: no push (checked once the server closed, which runs pending batches first).
    await new Promise<void>((resolve) => {
      const off = bob.c.on('message', (m) => {
        if (m.text !== `six ${SENTINEL}`) return
        off()
        resolve()
      })
      void say(`six ${SENTINEL}`)
    })
    await w.close()

    // Exactly one hook call per batch, for bob only (alice sent; carol was connected throughout).
    const byId = new Map(sent.map((s) => [s.id, s]))
    expect(w.deliveries.map((d) => [d.device.userId, byId.get(d.messageId)?.text.split(' ')[0], d.count])).toEqual([
      ['bob', 'one', 1], ['bob', 'four', 3], ['bob', 'five', 1],
    ])
    expect(w.deliveries.every((d) => d.registrations.map((r) => r.kind).sort().join() === 'token,web-push')).toBe(true)
    expect(endpoint.received.map((r) => r.path)).toEqual(['/push/bob', '/push/bob', '/push/bob'])

    // Sentinel: only server-side previews carry content.
    const modes: string[] = []
    for (const [i, push] of endpoint.received.entries()) {
      const d = w.deliveries[i]!
      const mode = byId.get(d.messageId)!.mode
      modes.push(mode)
      expect(d.mode).toBe(mode)
      expect(vapidProblem(push.headers, endpoint.origin, w.vapid.subject, w.vapid.publicKey)).toBeNull()
      expect(holds(push.body, SENTINEL)).toBe(false) // what the push service sees is ciphertext
      const plain = bobSub.decrypt(push.body)
      const payload = JSON.parse(plain) as { messageId: string; count: number; preview?: { text: string; from: string } }
      expect([payload.messageId, payload.count]).toEqual([d.messageId, d.count])
      if (mode === 'server-side') {
        expect(payload.preview).toMatchObject({ text: byId.get(d.messageId)!.text, from: 'alice' })
        expect(holds(plain, SENTINEL)).toBe(true)
      } else {
        expect(payload).not.toHaveProperty('preview')
        expect(d).not.toHaveProperty('preview')
        expect(holds(plain, SENTINEL)).toBe(false)
        expect(holds(d, SENTINEL)).toBe(false)
      }
    }
    expect(modes).toEqual(policy === 'server-side' ? ['server-side', 'server-side', 'server-side'] : policy === 'default-e2ee' ? ['e2ee', 'e2ee', 'e2ee'] : ['server-side', 'server-side', 'e2ee'])
    expect(w.errors).toEqual([])
  }, 60_000)
})
