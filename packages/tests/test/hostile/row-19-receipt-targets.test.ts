/**
 * Threat-model row 19, re-pointing (decisions 0019 and 0021; docs/messages.md, "Receipts"),
 * every policy, 1:1 and group. Message ids are the server's choice and franking does not bind
 * them, so a hostile server can give one message different ids on different devices. A
 * receipt that named its target by id alone could be re-pointed that way: alice reads bob's
 * first message, and the server has bob's device hold his *second* message under the first
 * one's id — bob would believe alice read a message she never saw.
 *
 * Receipts name their target by its franking commitment `tf` (the id is a hint), so the read
 * mark lands on the message alice read, under whatever id bob holds it, and the second
 * message shows no read by alice. Control: the relabelling reached bob's client (his send
 * results carry the server's ids, and the id alice's receipt names is the one bob holds for
 * his second message); alice's genuine read of the second message then lands through the
 * same proxy.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { CASES, receiptsWorld, statusByUser, type ReceiptsWorld } from '../receipts/_receipts-world.js'

let w: ReceiptsWorld
afterEach(async () => w?.close())

const DECOY_ID = 'm_decoy-of-the-hostile-server'

describe.each(CASES)('row 19: a receipt re-pointed by id ($policy, $kind)', ({ policy, kind }) => {
  it('alice\'s read of bob\'s first message stays on it when the server gives his second message its id', async () => {
    w = await receiptsWorld(policy, kind, { bobViaProxy: true })
    const { alice, bob } = w
    // The hostile server relabels bob's own messages on bob's device (the acks of his sends;
    // receipts are `silent` and pass untouched): the first under a decoy id, the second under
    // the first one's real id — the id every other device holds for the first message.
    let n = 0
    let realFirst = ''
    w.proxy.hooks.ack = (event, req, res) => {
      if (event !== 'message.send' || !res.ok || req.silent) return res
      n++
      if (n === 1) {
        realFirst = res.data.messageId
        return { ...res, data: { ...res.data, messageId: DECOY_ID } }
      }
      return n === 2 ? { ...res, data: { ...res.data, messageId: realFirst } } : res
    }
    const first = await bob.c.send({ text: 'first' })
    await waitFor(() => alice.got.some((m) => m.text === 'first'), 10_000, 'first reached alice')
    const aliceFirst = alice.got.find((m) => m.text === 'first')!
    expect(await alice.c.markRead()).toBe(1) // alice reads "first" only: her receipt names realFirst (and its tf)
    const second = await bob.c.send({ text: 'second' })
    await waitFor(() => alice.got.some((m) => m.text === 'second'), 10_000, 'second reached alice')

    // Control: the relabelling reached bob's client.
    expect([first.messageId, second.messageId]).toEqual([DECOY_ID, realFirst])
    expect(aliceFirst.id).toBe(realFirst) // the id alice's receipt names is the one bob holds for "second"

    // The read lands on "first" (held by bob under the decoy id), never on "second".
    await waitFor(async () => (await statusByUser(bob, DECOY_ID)).includes('alice/read'), 10_000, 'alice\'s read of "first"')
    const reads = bob.receipts.filter((r) => r.status === 'read' && r.from.userId === 'alice')
    expect(reads.map((r) => [r.messageId, r.seq])).toEqual([[DECOY_ID, first.seq]])
    expect(reads.flatMap((r) => r.messageIds)).toEqual([DECOY_ID])
    // Alice's devices store "second" and say so (delivered); nothing says she read it.
    await waitFor(async () => (await statusByUser(bob, realFirst)).includes('alice/delivered'), 10_000, 'alice\'s delivered of "second"')
    expect(await statusByUser(bob, realFirst)).not.toContain('alice/read')

    // Control: alice's genuine read of "second" crosses the same proxy and lands on it.
    await alice.c.markRead()
    await waitFor(async () => (await statusByUser(bob, realFirst)).includes('alice/read'), 10_000, 'genuine read of "second"')
    expect(bob.errors).toEqual([])
  })
})
