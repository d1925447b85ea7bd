/**
 * Receipts never wake an offline device (decision 0019, docs/push.md), in every policy, 1:1 and
 * group: a receipt is marked `silent` on its frame (the server cannot read an E2EE one) and the
 * push dispatcher skips it, while a message sent right after it still pushes.
 *
 * Alice (push registered) goes offline; bob reads her message (a signed `read` receipt, acked =
 * stored for alice's device) and then sends a message. Exactly one push reaches alice: for the
 * message, `count: 1`. Without the flag the receipt would be in that batch (`count: 2`) or a
 * batch of its own. Control: when alice comes back, the receipt is delivered to her device
 * from its inbox (it was stored for her, only not pushed) and the message is there too.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { testSubscription } from '../../../server/test/helpers/push-endpoint.js'
import { CASES, pushWorld, type PushWorld } from '../push/_push-world.js'

let w: PushWorld | undefined
afterEach(async () => {
  await w?.close()
  w = undefined
})

describe.each(CASES)('receipts are not pushed ($policy, $kind)', ({ policy, kind }) => {
  it('an offline device gets no push for a read receipt; the message after it pushes', async () => {
    w = await pushWorld(policy, kind)
    const { bob, endpoint } = w
    let alice = w.alice
    await alice.client.registerPushToken({ kind: 'web-push', subscription: testSubscription(`${endpoint.origin}/push/alice`) })

    const got = new Promise<void>((resolve) => {
      const off = bob.c.on('message', (m) => {
        if (m.text !== 'hello') return
        off()
        resolve()
      })
    })
    const hello = await alice.c.send({ text: 'hello' })
    await got

    await alice.client.close()
    await w.offline('alice')
    expect(await bob.c.markRead()).toBe(1) // resolves once the receipt is acked: stored for alice's device
    const after = await bob.c.send({ text: 'after the receipt' })
    await endpoint.waitFor(1)

    // Control: the receipt was stored for alice's device; she gets it (and the message) on catch-up.
    alice = await w.reconnect(alice)
    const readByBob = async () => (await alice.c.receipts(hello.messageId)).some((r) => r.userId === 'bob' && r.status === 'read')
    await waitFor(readByBob, 15_000, 'alice gets the read receipt')
    await w.close()

    expect(w.deliveries.map((d) => [d.device.userId, d.messageId, d.count])).toEqual([['alice', after.messageId, 1]])
    expect(endpoint.received.map((r) => r.path)).toEqual(['/push/alice'])
    expect(w.errors).toEqual([])
  }, 60_000)
})
