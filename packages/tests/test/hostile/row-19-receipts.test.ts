/**
 * Threat-model row 19 (docs/messages.md, "Receipts"), every policy, 1:1 and group: a hostile
 * server tells bob that alice read his message when she did not.
 * - It turns alice's genuine `delivered` receipt into a `read` one: the kind is in the franked
 *   content and the commitment is signed by alice's device, so a rewrite in place fails
 *   franking (`bad_franking`), a re-franked one her signature (`invalid_signature`), and in an
 *   E2EE conversation (the receipt inside the ciphertext) the only forgery left, a readable
 *   frame, is refused (`downgrade_rejected`).
 * - It sends the unsigned live `receipt` frame of the old relay: never believed.
 * Controls: each forged delivery reached bob's client (the error names it; an injected typing
 * frame on the same path is shown), and alice's genuine read receipt lands through the same proxy.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { frankMessage } from '@parley/crypto'
import { toBase64 } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { CASES, receiptsWorld, statusByUser, type ReceiptsWorld } from '../receipts/_receipts-world.js'

let w: ReceiptsWorld
afterEach(async () => w?.close())

/** A readable delivery the server builds from a real one: a `read` reference of its choice, franked, with a signature (alice's real one of another commitment, or junk). */
function forgedRead(frame: any, messageId: string): any {
  const { envelope: _e, attachments: _a, body: _b, franking, ...rest } = frame
  const ref = { kind: 'read', messageId }
  const { nf, tf } = frankMessage({ text: '', attachments: [], ref: ref as never })
  return { ...rest, mode: 'server-side', body: { text: '', attachments: [], nf, ref, sig: frame.body?.sig ?? toBase64(new Uint8Array(64).fill(7)) }, franking: { tf, rf: tf, kid: franking.kid } }
}

describe.each(CASES)('row 19: forged read receipts ($policy, $kind)', ({ policy, kind }) => {
  it('a delivered receipt turned into "read", and the unsigned live receipt frame, are not believed; the genuine one is', async () => {
    w = await receiptsWorld(policy, kind, { bobViaProxy: true })
    const { alice, alice2, bob } = w
    const e2ee = bob.c.encryption === 'e2ee'
    // Both of alice's devices have written before (their sender keys reached bob untouched):
    // the attack is on receipts, not on key distribution.
    for (const s of [alice, alice2]) {
      const hi = await s.c.send({ text: `hi from ${s.client.deviceId}` })
      await waitFor(() => bob.got.some((m) => m.id === hi.messageId), 10_000, 'hi reached bob')
    }
    type Mode = 'in-place' | 're-franked'
    let mode = 'in-place' as Mode
    const rewritten: string[] = []
    let after = Number.MAX_SAFE_INTEGER
    let target = ''
    let lastSeq = 0 // the newest seq the proxy passed to bob
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (event === 'message' && typeof frame.seq === 'number') lastSeq = Math.max(lastSeq, frame.seq)
      if (event !== 'message' || frame.kind !== 'message' || frame.sender?.userId !== 'alice' || frame.seq <= after) return [frame]
      rewritten.push(frame.messageId)
      if (!e2ee && mode === 'in-place') return [{ ...frame, body: { ...frame.body, ref: { kind: 'read', messageId: target } } }]
      return [forgedRead(frame, target)]
    }
    const cases: { mode: Mode; code: string }[] = e2ee
      ? [{ mode: 're-franked', code: 'downgrade_rejected' }]
      : [{ mode: 'in-place', code: 'bad_franking' }, { mode: 're-franked', code: 'invalid_signature' }]
    // The message the server will say alice read; her devices' genuine delivered receipts come first.
    const m0 = await bob.c.send({ text: 'did alice read this?' })
    const deliveredBy = (s: typeof alice) => bob.receipts.some((r) => r.status === 'delivered' && r.from.deviceId === s.client.deviceId && r.seq >= m0.seq)
    await waitFor(() => deliveredBy(alice) && deliveredBy(alice2), 10_000, 'genuine delivered receipts')
    target = m0.messageId
    for (const c of cases) {
      mode = c.mode
      // Everything from alice after this point is forged (set before the bait: her receipts may beat bob's ack).
      after = lastSeq
      const m = await bob.c.send({ text: `bait ${c.mode}` })
      // alice's devices store it and send their signed delivered receipts: the server rewrites them.
      await waitFor(() => rewritten.length > 0 && rewritten.every((id) => bob.errors.some((e) => e.messageId === id)), 10_000, `the ${c.mode} forgery reached bob`)
      const forged = bob.errors.filter((e) => rewritten.includes(e.messageId!))
      expect(forged.length).toBeGreaterThan(0) // control: the attack reached the client
      expect(new Set(forged.map((e) => e.error.code))).toEqual(new Set([c.code]))
      expect(await statusByUser(bob, m0.messageId)).toEqual(expect.arrayContaining(['alice/delivered']))
      expect(await statusByUser(bob, m.messageId)).not.toContain('alice/read')
      expect(bob.receipts.filter((r) => r.status === 'read')).toEqual([])
      rewritten.length = 0
      after = Number.MAX_SAFE_INTEGER
    }

    // The unsigned live relay: the server says alice read everything. Not believed.
    const last = await bob.c.send({ text: 'last' })
    await waitFor(() => alice.c.unreadCount > 0 && alice2.c.unreadCount > 0, 10_000, 'last reached alice')
    const typing: unknown[] = []
    bob.c.on('typing', (t) => typing.push(t))
    w.proxy.inject('bob', 'receipt', { conversationId: bob.c.id, messageIds: [last.messageId], status: 'read', from: { userId: 'alice', deviceId: alice.client.deviceId }, ts: Date.now() })
    w.proxy.inject('bob', 'typing', { conversationId: bob.c.id, from: { userId: 'alice', deviceId: alice.client.deviceId }, typing: true })
    await waitFor(() => typing.length === 1, 10_000, 'control: an injected frame on the same path reaches bob')
    expect(bob.receipts.filter((r) => r.status === 'read')).toEqual([])
    expect(await statusByUser(bob, last.messageId)).not.toContain('alice/read')

    // Control: alice's genuine read receipt crosses the same proxy and is believed.
    w.proxy.hooks.serverFrame = undefined
    await alice.c.markRead()
    await waitFor(async () => (await statusByUser(bob, last.messageId)).includes('alice/read'), 10_000, 'genuine read')
    expect(bob.receipts.some((r) => r.status === 'read' && r.from.deviceId === alice.client.deviceId && r.messageIds.includes(last.messageId))).toBe(true)
  })
})
