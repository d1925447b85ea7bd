/**
 * Threat-model row 18 (docs/messages.md), every policy, 1:1 and group: a hostile server
 * forges an edit of a member's message, or re-points a reply to another message; a member
 * running a modified client edits someone else's message. The reference is bound in the
 * franked content and the sending device signs the commitment, so:
 * - in a server-side conversation the server (which can re-frank readable content) cannot
 *   sign: `invalid_signature`; a reference rewritten without re-franking: `bad_franking`;
 * - in an E2EE conversation the reference is inside the ciphertext: the only forgery left to
 *   the server is a readable frame, refused as `downgrade_rejected`;
 * - a signed edit of another user's message is refused by every receiving client
 *   (`not_your_message`) and flagged `bad_reference` in a report.
 * Each attack's control: the tampered delivery reached bob's client (the error names it),
 * and the untampered path still works.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { frankMessage } from '@parley/crypto'
import { toBase64 } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { CASES, messagesWorld, type MessagesWorld } from '../messages/_messages-world.js'

let w: MessagesWorld
afterEach(async () => w?.close())

/** A readable delivery the server builds from a real one: content, reference and franking of its choice, and a signature (a real one of another commitment, or junk). */
function forged(frame: any, text: string, ref: { kind: string; messageId: string }, sig: string): any {
  const { envelope: _e, attachments: _a, body: _b, franking, ...rest } = frame
  const { nf, tf } = frankMessage({ text, attachments: [], ref: ref as never })
  return { ...rest, mode: 'server-side', body: { text, attachments: [], nf, ref, sig }, franking: { tf, rf: tf, kid: franking.kid } }
}

const junkSig = toBase64(new Uint8Array(64).fill(7))

describe.each(CASES)('row 18: forged edits and re-pointed replies ($policy, $kind)', ({ policy, kind }) => {
  it('a server-forged edit is refused (signature, or the E2EE pin); bob\'s message stays as sent', async () => {
    w = await messagesWorld(policy, kind, { bobViaProxy: true })
    const { alice, bob } = w
    const m1 = await alice.c.send({ text: 'hello' })
    await waitFor(() => bob.got.some((m) => m.id === m1.messageId), 10_000, 'm1 reached bob')
    const rewritten: string[] = []
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (event !== 'message' || frame.kind !== 'message' || frame.sender.userId !== 'alice' || frame.seq <= m1.seq) return [frame]
      rewritten.push(frame.messageId)
      // The bait is alice's genuine reaction: in server-side its signature is real (of another commitment).
      return [forged(frame, 'forged by the server', { kind: 'edit', messageId: m1.messageId }, frame.body?.sig ?? junkSig)]
    }
    const bait = await alice.c.react(m1.messageId, '👍')
    const expected = w.alice.c.encryption === 'e2ee' ? 'downgrade_rejected' : 'invalid_signature'
    await waitFor(() => bob.errors.some((e) => e.messageId === bait.messageId), 10_000, 'the forged edit reached bob')
    expect(rewritten).toEqual([bait.messageId]) // control: the attack reached the client
    expect(bob.errors.filter((e) => e.messageId === bait.messageId).map((e) => e.error.code)).toEqual([expected])
    expect(bob.updates.filter((m) => m.text === 'forged by the server')).toEqual([])
    expect((await bob.c.history()).messages.find((m) => m.id === m1.messageId)?.text).toBe('hello')
    // Control: an untampered edit still lands.
    w.proxy.hooks.serverFrame = undefined
    await alice.c.edit(m1.messageId, { text: 'hello, really edited' })
    await waitFor(() => bob.updates.some((m) => m.id === m1.messageId && m.text === 'hello, really edited'), 10_000, 'honest edit')
  })

  it('a re-pointed reply is refused (franking, signature, or the E2EE pin); the honest reply keeps its target', async () => {
    w = await messagesWorld(policy, kind, { bobViaProxy: true })
    const { alice, bob } = w
    const m0 = await alice.c.send({ text: 'first' })
    const m1 = await alice.c.send({ text: 'second' })
    await waitFor(() => bob.got.some((m) => m.id === m1.messageId), 10_000, 'both reached bob')
    const e2ee = alice.c.encryption === 'e2ee'
    const rewritten: string[] = []
    type Mode = 'in-place' | 're-franked'
    let mode = 'in-place' as Mode
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (event !== 'message' || frame.kind !== 'message' || frame.sender.userId !== 'alice' || frame.seq <= m1.seq) return [frame]
      rewritten.push(frame.messageId)
      if (!e2ee && mode === 'in-place') return [{ ...frame, body: { ...frame.body, ref: { kind: 'reply', messageId: m0.messageId } } }]
      // Re-franked by the server with the reference of its choice, alice's real signature (of the real commitment) kept.
      return [forged(frame, frame.body?.text ?? 'a reply', { kind: 'reply', messageId: m0.messageId }, frame.body?.sig ?? junkSig)]
    }
    const cases: { mode: Mode; code: string }[] = e2ee
      ? [{ mode: 're-franked', code: 'downgrade_rejected' }]
      : [{ mode: 'in-place', code: 'bad_franking' }, { mode: 're-franked', code: 'invalid_signature' }]
    for (const c of cases) {
      mode = c.mode
      const reply = await alice.c.send({ text: `re ${c.mode}`, replyTo: m1.messageId })
      await waitFor(() => bob.errors.some((e) => e.messageId === reply.messageId), 10_000, `the ${c.mode} reply reached bob`)
      expect(rewritten).toContain(reply.messageId) // control: the attack reached the client
      expect(bob.errors.filter((e) => e.messageId === reply.messageId).map((e) => e.error.code)).toEqual([c.code])
      expect(bob.got.some((m) => m.id === reply.messageId)).toBe(false) // never shown, re-pointed or not
    }
    // Control: the untampered reply arrives pointing where alice pointed it.
    w.proxy.hooks.serverFrame = undefined
    const honest = await alice.c.send({ text: 'honest reply', replyTo: m1.messageId })
    await waitFor(() => bob.got.some((m) => m.id === honest.messageId), 10_000, 'honest reply')
    expect(bob.got.find((m) => m.id === honest.messageId)?.replyTo).toBe(m1.messageId)
  })

  it('a member\'s signed edit of another user\'s message (a modified client) is refused by every client and flagged in reports', async () => {
    w = await messagesWorld(policy, kind)
    const { alice, bob, carol } = w
    const m1 = await alice.c.send({ text: 'alice wrote this' })
    await waitFor(() => bob.got.some((m) => m.id === m1.messageId) && (!carol || carol.got.some((m) => m.id === m1.messageId)), 10_000, 'm1 everywhere')
    // bob's modified client skips the local author check and queues a signed, franked edit.
    const outbox = (bob.client as unknown as { outbox: { enqueue(c: unknown, i: { text: string }, r: { kind: 'edit'; messageId: string; tf: string; version: number }): Promise<{ messageId: string }> } }).outbox
    const forgedEdit = await outbox.enqueue(bob.c, { text: 'alice said something else' }, { kind: 'edit', messageId: m1.messageId, tf: m1.franking.tf, version: 1 })
    for (const s of carol ? [alice, carol] : [alice]) {
      await waitFor(() => s.errors.some((e) => e.messageId === forgedEdit.messageId), 10_000, `${s.userId} got the forged edit`)
      expect(s.errors.filter((e) => e.messageId === forgedEdit.messageId).map((e) => e.error.code)).toEqual(['not_your_message'])
      expect(s.updates).toEqual([])
      expect((await s.c.history()).messages.find((m) => m.id === m1.messageId)?.text).toBe('alice wrote this')
    }
    // A report of the forged edit carries its target; the server flags the edit, not alice's message.
    await alice.c.report({ reason: 'impersonation', messageIds: [forgedEdit.messageId], reportId: 'r-forged' })
    await waitFor(() => w.server.reports.some((r) => r.reportId === 'r-forged'), 10_000, 'report')
    const r = w.server.reports.find((x) => x.reportId === 'r-forged')!
    expect(r.entries.map((e) => [e.messageId, e.verified, e.failure])).toEqual([
      [m1.messageId, true, undefined],
      [forgedEdit.messageId, false, 'bad_reference'],
    ])
  })
})
