/**
 * Row 16 — a hostile server freezes one member's roster: it withholds carol's removal from bob
 * (drops the `roster` delivery and every `conversation` frame), hoping bob keeps encrypting to
 * carol. Safe outcome: alice's next message carries her roster head, ahead of bob's pin; bob
 * fetches and verifies the missing record, applies the removal, and no longer encrypts to
 * carol. A server that also withholds the record on `roster.fetch` gets a `gap` refusal (the
 * message is not shown from a roster bob cannot verify). Control: the removal was dropped on
 * its way to bob and bob still listed carol before alice's message reached him. Every policy
 * (in server-side the head travels in the readable body, best effort).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { POLICIES, groupWorld, textsIn, type GroupWorld } from '../groups/_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())
const rosterErrors = (m: { errors: { error: { code: string; details: unknown } }[] }) =>
  m.errors.filter((e) => e.error.code === 'roster_rejected').map((e) => (e.error.details as { reason?: string }).reason)

async function frozen(policy: (typeof POLICIES)[number], withholdFetch: boolean) {
  w = await groupWorld(policy)
  const alice = await w.join('alice')
  const bob = await w.join('bob', true)
  await w.join('carol')
  const ga = await alice.client.conversations.create({ members: ['bob', 'carol'], title: 't' })
  if (policy === 'optional-e2ee') await ga.upgradeToE2EE()
  const gb = await w.side('bob', ga.id)
  await w.side('carol', ga.id)
  await waitFor(() => gb.encryption === ga.encryption, 10_000, 'bob holds the mode')
  let dropped = 0
  w.proxy.hooks.serverFrame = (event, frame, ctx) => {
    if (ctx.userId !== 'bob') return [frame]
    if (event === 'message' && frame.kind === 'roster' && frame.conversationId === ga.id) {
      dropped++
      return []
    }
    if (event === 'conversation' && frame.id === ga.id) return []
    return [frame]
  }
  let fetchesWithheld = 0
  w.proxy.hooks.ack = (event, req, res, ctx) => {
    if (ctx.userId !== 'bob' || !res?.ok) return res
    // The frozen server hides the record from bob's inbox catch-up too (the client catches up
    // from its cursor when a live delivery skips an id), so only `roster.fetch` could reveal it.
    if (event === 'inbox.sync') {
      return { ...res, data: { ...res.data, deliveries: res.data.deliveries.filter((d: any) => !(d.kind === 'roster' && d.conversationId === ga.id)) } }
    }
    if (!withholdFetch || event !== 'roster.fetch' || req.conversationId !== ga.id) return res
    fetchesWithheld++
    return { ok: true, data: { records: [], more: false } }
  }
  const sends: any[] = []
  w.proxy.hooks.request = (event, req, ctx) => {
    if (ctx.userId === 'bob' && event === 'message.send') sends.push(req)
    return req
  }
  await ga.remove(['carol'])
  await waitFor(() => dropped === 1, 10_000, 'removal dropped')
  // Control: bob's roster is frozen — he still lists carol.
  expect(gb.members).toContain('carol')
  return { alice, bob, ga, gb, sends, fetches: () => fetchesWithheld }
}

describe.each(POLICIES)('row 16: a frozen roster catches up (%s)', (policy) => {
  it('a message with a roster head ahead of bob\'s pin makes bob fetch and verify the removal; he stops encrypting to carol', async () => {
    const { bob, ga, gb, sends } = await frozen(policy, false)
    await ga.send({ text: 'after removal' })
    await waitFor(() => textsIn(bob, ga.id).includes('after removal'), 10_000, 'bob reads alice')
    expect(gb.members).toEqual(['alice', 'bob'])
    expect(gb.rosterVersion).toBe(ga.rosterVersion)
    expect(bob.members.at(-1)?.change).toMatchObject({ action: 'remove', userIds: ['carol'] })
    await gb.send({ text: 'bob writes' })
    const last = sends.at(-1)
    if (last.mode === 'e2ee') expect(last.envelopes.filter((e: any) => e.userId === 'carol')).toEqual([])
    expect(rosterErrors(bob)).toEqual([])
  })

  it('a server that also withholds the records is refused (gap); the message is not shown', async () => {
    const { bob, ga, gb, fetches } = await frozen(policy, true)
    await ga.send({ text: 'after removal' })
    await waitFor(() => rosterErrors(bob).includes('gap'), 10_000, 'gap')
    expect(fetches()).toBeGreaterThan(0) // control: bob asked, the server withheld
    expect(textsIn(bob, ga.id)).not.toContain('after removal')
    expect(gb.members).toContain('carol') // the pin stays; nothing unverified believed
  })
})
