/**
 * Reports in groups, in every policy (docs/groups.md): a report of the last N messages from
 * several members verifies like a 1:1's (roster records take seqs but are no gaps), and the
 * server checks each entry's sender against the group's roster at that entry's seq. The second
 * half doctors the store's answer about the roster (a store that says carol's removal came
 * before her message): the same report then flags carol's entry `sender_not_member` while
 * alice's still verifies — the control is the first, honest report of the same messages.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { memoryStore, type ParleyStore } from '@parley/server'
import { waitFor } from '../helpers/parley.js'
import { POLICIES, groupWorld, textsIn, type GroupWorld } from './_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

/** A memory store whose roster answer can be doctored: removal records moved before a given seq. */
function doctorable(): { store: ParleyStore; moveRemovalsBefore: (seq: number | null) => void } {
  const inner = memoryStore()
  let before: number | null = null
  const store = Object.create(inner) as ParleyStore
  store.rosterRecords = async (id, after, limit) => {
    const rows = await inner.rosterRecords(id, after, limit)
    return before === null ? rows : rows.map((r) => (r.record.change.action === 'remove' ? { ...r, seq: before! - 0.5 } : r))
  }
  return { store, moveRemovalsBefore: (seq) => void (before = seq) }
}

describe.each(POLICIES)('group reports (%s)', (policy) => {
  it('verify entries from several members, and flag a sender who was not a member at that seq', async () => {
    const d = doctorable()
    w = await groupWorld(policy, { store: d.store })
    const [alice, bob, carol] = await Promise.all(['alice', 'bob', 'carol'].map((u) => w.join(u)))
    const ga = await alice!.client.conversations.create({ members: ['bob', 'carol'], title: '' })
    const gb = await w.side('bob', ga.id)
    const gc = await w.side('carol', ga.id)
    const c1 = await gc.send({ text: 'from carol' })
    await waitFor(() => textsIn(bob!, ga.id).length === 1, 10_000, 'bob has carol\'s message')
    await ga.send({ text: 'from alice' })
    await waitFor(() => textsIn(bob!, ga.id).length === 2, 10_000, 'bob has alice\'s message')
    await ga.remove(['carol'])
    await waitFor(() => !gb.members.includes('carol'), 10_000, 'carol removed')
    void carol

    await gb.report({ reason: 'spam', reportId: 'honest' })
    await waitFor(() => w.server.reports.length === 1, 10_000, 'honest report')
    const honest = w.server.reports[0]!
    expect(honest.entries.map((e) => [e.sender.userId, e.text, e.verified])).toEqual([['carol', 'from carol', true], ['alice', 'from alice', true]])
    expect(honest.transcript).toMatchObject({ verified: true, ordered: true, gaps: [] })

    d.moveRemovalsBefore(c1.seq)
    await gb.report({ reason: 'spam', reportId: 'doctored' })
    await waitFor(() => w.server.reports.length === 2, 10_000, 'second report')
    const flagged = w.server.reports[1]!
    expect(flagged.entries.map((e) => [e.sender.userId, e.verified, e.failure])).toEqual([['carol', false, 'sender_not_member'], ['alice', true, undefined]])
    expect(flagged.transcript.verified).toBe(false)
  })
})
