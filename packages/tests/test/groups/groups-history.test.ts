/**
 * Server history of a group (docs/groups.md), in every policy: `history.fetch` gives a member
 * only what was sent while they were a member — nothing from before they joined, nothing from
 * while they were removed — checked against the stored roster records. A member asking for the
 * raw history is the attack (the client itself does not merge server history for groups);
 * control: the server does hold the earlier messages (alice, a member throughout, reads them).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { POLICIES, groupWorld, type GroupWorld } from './_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

const rawHistory = async (client: unknown, conversationId: string): Promise<number[]> => {
  const res = await (client as { conn: { request(e: string, f: unknown): Promise<{ messages: { seq: number; kind?: string }[] }> } }).conn.request('history.fetch', { conversationId })
  return res.messages.map((m) => m.seq)
}

describe.each(POLICIES)('groups: server history follows membership (%s)', (policy) => {
  it('a member added later, removed and re-added reads nothing from before joining or while out', async () => {
    w = await groupWorld(policy)
    const alice = await w.join('alice')
    await w.join('bob')
    const dave = await w.join('dave')
    const ga = await alice.client.conversations.create({ members: ['bob'], title: 't' })
    const before = await ga.send({ text: 'secret before dave joined' })
    await ga.add(['dave'])
    await w.side('dave', ga.id)
    const during = await ga.send({ text: 'while dave is in' })
    await ga.remove(['dave'])
    const out = await ga.send({ text: 'while dave is out' })
    await ga.add(['dave'])
    const back = await ga.send({ text: 'dave is back' })
    const seen = await rawHistory(dave.client, ga.id)
    expect(seen).not.toContain(before.seq)
    expect(seen).not.toContain(out.seq)
    expect(seen).toContain(during.seq)
    expect(seen).toContain(back.seq)
    // Control: the server holds the hidden messages (alice, a member throughout, gets them).
    const all = await rawHistory(alice.client, ga.id)
    expect(all).toEqual(expect.arrayContaining([before.seq, during.seq, out.seq, back.seq]))
  }, 30_000)
})
