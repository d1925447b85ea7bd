/**
 * Row 16 (sender keys): a member removed and re-added while its device missed the removal (the
 * server withheld that one roster delivery) applies both records in one catch-up. Its chain
 * must still be dropped (the others dropped it at the removal), so it starts a new one they can
 * read. Before the fix, the device compared only the pins before and after (it is a member in
 * both), kept its chain, never redistributed, and nothing it sent was readable.
 */
import { afterEach, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { textsIn, type GroupWorld, type Member } from '../groups/_group-world.js'
import { e2eeGroup, ownChainKey, senderKeyWorld } from '../groups/_sender-key-world.js'
import type { SenderKeyState } from '@parley/crypto'

let w: GroupWorld
afterEach(async () => w?.close())

it('a member re-added after a removal it missed starts a new chain the others read', async () => {
  const policy = 'default-e2ee' as const
  const sk = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['carol'])
  w = sk.w
  const { alice, bob, carol } = sk.m as Record<'alice' | 'bob' | 'carol', Member>
  const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
  const gc = await w.side('carol', ga.id)
  const gb = await w.side('bob', ga.id)
  await gc.send({ text: 'carol 1' })
  await waitFor(() => textsIn(bob, ga.id).includes('carol 1'), 10_000, 'bob reads carol 1')
  const first = (await carol.keyStore.get(ownChainKey(ga.id))) as unknown as { state: SenderKeyState }
  // The server withholds the removal's roster delivery from carol (and its conversation updates).
  let withheld = 0
  w.proxy.hooks.serverFrame = (event, frame, ctx) => {
    if (ctx.userId !== 'carol' || withheld > 0) return [frame]
    if (event === 'message' && frame.kind === 'roster' && frame.conversationId === ga.id) { withheld++; return [] }
    if (event === 'conversation' && frame.id === ga.id) return []
    return [frame]
  }
  await ga.remove(['carol'])
  await waitFor(() => withheld === 1 && !gb.members.includes('carol'), 10_000, 'removal withheld from carol, applied by bob')
  // Control: carol did not apply the removal.
  expect(gc.members).toContain('carol')
  await ga.add(['carol'])
  await waitFor(() => gb.members.includes('carol') && (gc as any)._roster.version === (gb as any)._roster.version, 10_000, 'carol caught up over both records')
  await gc.send({ text: 'carol 2 after re-add' })
  await waitFor(() => textsIn(bob, ga.id).includes('carol 2 after re-add'), 10_000, 'bob reads carol 2')
  const last = sk.sent.of('carol').at(-1)
  expect(last.senderKey.keyId).not.toBe(first.state.keyId)
})
