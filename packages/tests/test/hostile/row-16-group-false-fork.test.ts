/**
 * Row 16 — a malicious member (a patched client) sends group messages naming a junk roster
 * head, hoping to make the others blame the server for a fork (or silently lose messages).
 * Safe outcome: a head alone is no proof of a fork, so receivers report a `head_mismatch`
 * naming the sender (a typed `'error'` event) and still show the message (its sender is a
 * verified member); `fork` is kept for two validly signed records at one version. Control:
 * the junk head reached alice's client (the error names bob at that version). Every policy.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { POLICIES, groupWorld, textsIn, type GroupWorld } from '../groups/_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())
const rosterErrors = (m: { errors: { error: { code: string; details: unknown } }[] }) =>
  m.errors.filter((e) => e.error.code === 'roster_rejected').map((e) => e.error.details as { reason?: string; userId?: string; version?: number })

describe.each(POLICIES)('row 16: a member\'s junk roster head is not a fork (%s)', (policy) => {
  it('alice reports a head mismatch naming bob, not a fork, and shows his message', async () => {
    w = await groupWorld(policy)
    const alice = await w.join('alice')
    await w.join('bob')
    await w.join('carol')
    const ga = await alice.client.conversations.create({ members: ['bob', 'carol'], title: 't' })
    const gb = await w.side('bob', ga.id)
    await w.side('carol', ga.id)
    // bob's client is patched: it claims another head at the version it holds.
    gb._roster = { ...gb._roster!, head: 'B'.repeat(42) + 'A=' }
    await gb.send({ text: 'hi from bob' })
    await waitFor(() => rosterErrors(alice).length > 0, 10_000, 'alice reports')
    expect(rosterErrors(alice)).toEqual([{ conversationId: ga.id, reason: 'head_mismatch', userId: 'bob', version: 1 }])
    await waitFor(() => textsIn(alice, ga.id).includes('hi from bob'), 10_000, 'alice shows bob\'s message')
  })
})
