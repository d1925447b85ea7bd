/**
 * Row 16 (sender keys): the server withholds carol's removal from alice (roster frozen), so
 * alice builds her send for carol's device too; the server's coverage rule refuses it. Alice
 * must catch her roster up (the described rosterVersion is ahead) before rotating and
 * rebuilding, else the rebuild names carol again and is refused for good.
 */
import { afterEach, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { textsIn, type GroupWorld, type Member } from '../groups/_group-world.js'
import { e2eeGroup, senderKeyWorld } from '../groups/_sender-key-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

it('a coverage refusal on a stale roster catches the roster up before the rebuild', async () => {
  const policy = 'default-e2ee' as const
  const sk = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['alice'])
  w = sk.w
  const { alice, bob } = sk.m as Record<'alice' | 'bob' | 'carol', Member>
  const gb = await e2eeGroup(w, policy, bob, ['alice', 'carol'])
  const ga = await w.side('alice', gb.id)
  let dropped = 0
  w.proxy.hooks.serverFrame = (event, frame, ctx) => {
    if (ctx.userId !== 'alice') return [frame]
    if (event === 'message' && frame.kind === 'roster' && frame.conversationId === gb.id) { dropped++; return [] }
    if (event === 'conversation' && frame.id === gb.id) return []
    return [frame]
  }
  await gb.remove(['carol'])
  await waitFor(() => dropped === 1, 10_000, 'removal withheld from alice')
  expect(ga.members).toContain('carol') // control: alice's roster is behind
  await ga.send({ text: 'after the removal' })
  await waitFor(() => textsIn(bob, gb.id).includes('after the removal'), 15_000, 'bob reads alice')
  expect(ga.members).not.toContain('carol')
})
