/**
 * Receipts in a conversation with disappearing messages (decision 0019; docs/messages.md,
 * "Receipts"), every policy: a receipt never outlives its target. The delivered and read
 * receipts of a timed message are deleted from every device's log by the same sweep that
 * expires the message (their rows carry the target's expiry), on the reader's side (its own
 * receipts) and on the sender's (the receipts it received); a receipt of a message without a
 * timer stays, as that message does. Control: before the expiry both devices hold the
 * receipt rows and the sender sees the read. A real 1.5 s timer: the test waits on the
 * `'expired'` events, never on a sleep. An untimed message the server held back until bob pinned
 * the timer expires by bob's pin, and bob's receipts of it with it (review M2).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ExpiredEventPayload, Message } from '@parley/client'
import { waitFor } from '../helpers/parley.js'
import { POLICIES, receiptsWorld, statusByUser, type ReceiptsWorld, type Side } from './_receipts-world.js'

const TIMER_MS = 1_500

let w: ReceiptsWorld
afterEach(async () => w?.close())

/** The receipt rows `s` holds in its log, as `kind:targetId` strings (no proxy here: every device holds one id per message). */
async function receiptRows(s: Side): Promise<string[]> {
  const out: string[] = []
  for (const key of await s.keyStore.keys(`msg/${s.c.id}/`)) {
    const m = (await s.keyStore.get(key)) as unknown as { ref?: { kind: string; messageId: string } } | null
    if (m?.ref && (m.ref.kind === 'read' || m.ref.kind === 'delivered')) out.push(`${m.ref.kind}:${m.ref.messageId}`)
  }
  return out.sort()
}

describe.each(POLICIES)('receipts expire with their target (%s)', (policy) => {
  it('the receipts of a timed message leave every log with it; those of an untimed one stay', async () => {
    w = await receiptsWorld(policy, 'direct', { bobViaProxy: true })
    const { alice, bob } = w
    const expired: Record<string, ExpiredEventPayload[]> = { alice: [], bob: [] }
    alice.c.on('expired', (e) => void expired.alice!.push(e))
    bob.c.on('expired', (e) => void expired.bob!.push(e))
    const got = (text: string) => new Promise<Message>((resolve) => {
      const off = bob.c.on('message', (m) => {
        if (m.text !== text) return
        off()
        resolve(m)
      })
    })
    // Untimed: its receipts stay.
    const keptAt = got('kept')
    await alice.c.send({ text: 'kept' })
    const kept = await keptAt
    await bob.c.markRead()
    await waitFor(async () => (await statusByUser(alice, kept.id)).includes('bob/read'), 10_000, 'read of "kept"')

    // Untimed but arriving under a pinned timer (held back by the server, as an older client's
    // would be): it expires by bob's pin, and so do bob's receipts of it (review M2).
    let holding = true
    const held: unknown[] = []
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (!holding || event !== 'message' || frame.kind !== 'message' || frame.sender?.userId !== 'alice') return [frame]
      held.push(frame)
      return []
    }
    await alice.c.send({ text: 'late' })
    await alice.c.setDisappearing(TIMER_MS)
    await waitFor(() => bob.c.disappearingMs === TIMER_MS, 10_000, 'bob pins the timer')
    holding = false
    const lateAt = got('late')
    expect(held).toHaveLength(1) // control: the server held it
    for (const f of held.splice(0)) w.proxy.inject('bob', 'message', f)
    const late = await lateAt
    expect(late.disappearingMs).toBeUndefined() // control: nothing franked
    await bob.c.markRead()
    await waitFor(async () => (await receiptRows(bob)).includes(`read:${late.id}`), 10_000, 'bob logs his read of "late"') // control
    await waitFor(() => expired.bob!.some((e) => e.messageIds.includes(late.id)), 10_000, '"late" expired by bob\'s pin')
    await waitFor(async () => !(await receiptRows(bob)).includes(`read:${late.id}`), 10_000, 'bob\'s receipt of "late" expired with it')

    const timedAt = got('timed')
    const sent = await alice.c.send({ text: 'timed' })
    const timed = await timedAt
    await bob.c.markRead()
    // Control: the timed message's receipts reached both logs (bob's own, alice's received) and alice sees the read.
    await waitFor(async () => (await statusByUser(alice, sent.messageId)).includes('bob/read'), 10_000, 'read of "timed"')
    const timedRows = [`read:${timed.id}`]
    for (const s of [alice, bob]) expect(await receiptRows(s)).toEqual(expect.arrayContaining(timedRows))

    const gone = (s: string) => expired[s]!.some((e) => e.messageIds.includes(sent.messageId))
    await waitFor(() => gone('alice') && gone('bob'), 10_000, 'the timed message expired on both devices')
    for (const s of [alice, bob]) {
      await waitFor(async () => (await receiptRows(s)).every((r) => !r.endsWith(`:${timed.id}`)), 10_000, `${s.userId}'s receipts of "timed" expired`)
      // The untimed message's read receipt is still there.
      expect(await receiptRows(s)).toContain(`read:${kept.id}`)
    }
    expect(await statusByUser(alice, kept.id)).toContain('bob/read')
  })
})
