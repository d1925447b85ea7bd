/**
 * Receipts and unread counts in every policy, for a 1:1 and a group, one suite
 * (docs/messages.md, "Receipts"): a device that stores messages sends a signed `delivered`
 * receipt by itself; `markRead()` clears the unread count at once and on this user's other
 * device (own-device sync through the stored, signed `read` receipt); the senders see per-member
 * state (`receipts(messageId)`, `'receipt'` events naming their messages); a device offline
 * while a receipt is sent gets it on reconnect; actions and receipts never count as unread;
 * bad input is a typed error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memoryKeyStore, requestDeviceLink } from '@parley/client'
import { waitFor } from '../helpers/parley.js'
import { CASES, receiptsWorld, statusByUser, type ReceiptsWorld } from './_receipts-world.js'

let w: ReceiptsWorld
afterEach(async () => w?.close())

describe.each(CASES)('receipts and unread counts ($policy, $kind)', ({ policy, kind }) => {
  it('delivered by itself, read on markRead, synced to the reader\'s other device, per member, stored for an offline device', async () => {
    w = await receiptsWorld(policy, kind)
    const { alice, alice2, carol } = w
    let bob = w.bob
    const readers = carol ? [alice, carol] : [alice]
    const users = readers.map((s) => s.userId)

    // bob writes two messages: every reader device counts them unread and says "delivered".
    const m1 = await bob.c.send({ text: 'one' })
    const m2 = await bob.c.send({ text: 'two' })
    for (const s of [...readers, alice2]) {
      await waitFor(() => s.got.some((m) => m.id === m2.messageId), 10_000, `${s.userId} got m2`)
      await waitFor(() => s.c.unreadCount === 2, 10_000, `${s.userId} counts 2 unread`)
      expect(s.unread.at(-1)).toBe(2)
    }
    await waitFor(async () => (await statusByUser(bob, m2.messageId)).join() === users.map((u) => `${u}/delivered`).join(), 10_000, 'delivered to every member')
    expect(bob.receipts.some((r) => r.status === 'delivered' && r.messageIds.includes(m2.messageId))).toBe(true)
    expect(bob.got).toEqual([]) // a receipt is no message
    expect(bob.c.unreadCount).toBe(0) // nor unread

    // A reaction is no unread message either.
    await bob.c.react(m1.messageId, '👍')
    await waitFor(() => alice.updates.some((m) => m.id === m1.messageId), 10_000, 'the reaction reached alice')
    // bob goes offline; alice reads on one device.
    bob = await w.restart(bob, async () => {
      const before = alice.c.unreadCount
      expect(before).toBe(2)
      expect(await alice.c.markRead()).toBe(2)
      expect(alice.c.unreadCount).toBe(0)
      expect(await alice.c.markRead()).toBe(0) // nothing new: no second receipt
      // Own-device sync: alice's other device clears its count on the signed receipt.
      await waitFor(() => alice2.c.unreadCount === 0, 10_000, 'alice2 unread cleared')
      expect(alice2.unread.at(-1)).toBe(0)
      expect(alice2.receipts.some((r) => r.from.userId === 'alice' && r.status === 'read' && r.messageIds.length === 0)).toBe(true)
    })
    // The receipt was stored: bob's device, back, shows alice read both messages.
    await waitFor(async () => (await statusByUser(bob, m1.messageId)).includes('alice/read'), 10_000, 'bob sees alice read m1 after reconnect')
    expect(await statusByUser(bob, m2.messageId)).toEqual(users.map((u) => `${u}/${u === 'alice' ? 'read' : 'delivered'}`))
    if (carol) {
      expect(await carol.c.markRead()).toBe(2)
      await waitFor(async () => (await statusByUser(bob, m2.messageId)).join() === 'alice/read,carol/read', 10_000, 'both members read')
      // carol sees alice's read receipt of bob's message too (per-member state, every member).
      await waitFor(async () => (await statusByUser(carol, m2.messageId)).includes('alice/read'), 10_000, 'carol sees alice read')
    }

    // A later message is unread again on both of alice's devices; reading on the second clears the first.
    const m3 = await bob.c.send({ text: 'three' })
    await waitFor(() => alice.c.unreadCount === 1 && alice2.c.unreadCount === 1, 10_000, 'one unread on both devices')
    expect(await alice2.c.markRead()).toBe(1)
    await waitFor(() => alice.c.unreadCount === 0, 10_000, 'read on alice2 clears alice')
    await waitFor(async () => (await statusByUser(bob, m3.messageId)).includes('alice/read'), 10_000, 'bob sees m3 read')
    // The live event names the message it covers, its seq and the signing device.
    const live = bob.receipts.find((r) => r.status === 'read' && r.from.userId === 'alice')!
    expect([live.messageId, live.seq, live.messageIds, live.from.deviceId]).toEqual([m3.messageId, m3.seq, [m3.messageId], alice2.client.deviceId])
    const mine = await bob.c.receipts(m3.messageId)
    expect(mine.every((r) => r.seq >= m3.seq && r.ts > 0)).toBe(true)

    // A message deleted for everyone before it was read is no longer unread.
    const m4 = await bob.c.send({ text: 'oops' })
    await waitFor(() => alice.c.unreadCount === 1, 10_000, 'm4 unread')
    await bob.c.deleteForEveryone(m4.messageId)
    await waitFor(() => alice.c.unreadCount === 0 && alice2.c.unreadCount === 0, 10_000, 'deleted: not unread')

    // A device linked now gets the log and the receipt book in the transfer: nothing is unread there.
    const link = await requestDeviceLink({ url: w.server.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] }, deliveryReceipts: false })
    await alice2.client.linkDevice(link.code)
    const alice3 = await link.client
    try {
      await waitFor(() => alice3.conversations.get(alice.c.id) !== undefined, 10_000, 'alice3 has the conversation')
      expect(await alice3.conversations.get(alice.c.id)!.markRead()).toBe(0)
    } finally {
      await alice3.close()
    }

    // Typed errors, nothing sent.
    await expect(bob.c.receipts('no-such-message')).rejects.toMatchObject({ code: 'unknown_message' })
    await expect(bob.c.receipts(42 as unknown as string)).rejects.toBeInstanceOf(TypeError)
    expect([...w.alice.errors, ...alice2.errors, ...bob.errors]).toEqual([])
  })

  it('a receipt that reaches the sender before its own send\'s ack waits for it and is applied then', async () => {
    w = await receiptsWorld(policy, kind, { bobViaProxy: true })
    const { alice, bob } = w
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    w.proxy.hooks.ack = (event, _request, response) => (event === 'message.send' ? held.then(() => response) : response)
    const sending = bob.c.send({ text: 'slow ack' })
    // alice's device stores it and says "delivered"; bob's device holds the receipt, not yet its target.
    await waitFor(async () => ((await bob.keyStore.get<number[]>(`receipts-pending/${bob.c.id}`)) ?? []).length > 0, 10_000, 'receipt waiting at bob')
    expect(bob.receipts).toEqual([])
    release()
    const m = await sending
    await waitFor(async () => (await statusByUser(bob, m.messageId)).includes('alice/delivered'), 10_000, 'applied after the ack')
    expect(bob.receipts.some((r) => r.from.userId === 'alice' && r.messageIds.includes(m.messageId))).toBe(true)
    expect(alice.errors).toEqual([])
  })
})
