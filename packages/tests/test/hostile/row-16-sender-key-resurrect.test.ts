/**
 * Row 16 (sender keys): a removed member's chain is never written back into a receiver's key store.
 * bob's roster is frozen before carol's removal (hostile server). carol (removed) signs a message
 * on her old chain naming the roster head that removes her. bob: member check passes (frozen pin),
 * the chain step is staged in the delivery's layer, checkRosterHead catches up -> Rosters.save
 * drops carol's chains from the store -> MemberMismatchError. The inbox used to merge the failed
 * delivery's staged chain step into its batch, writing carol's chain back; it now writes only the
 * chains of members of the current pin (unstageNonMembers).
 */
import { afterEach, expect, it } from 'vitest'
import { senderKeyAd, senderKeyEncrypt, type SenderKeyState } from '@parley/crypto'
import { PAYLOAD_VERSION } from '@parley/client'
import { toBase64 } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { textsIn, type GroupWorld, type Member } from '../groups/_group-world.js'
import { e2eeGroup, inject, ownChainKey, peerChainKey, senderKeyWorld } from '../groups/_sender-key-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

it('a removed member\'s chain dropped at the removal is not written back by its own refused message', async () => {
  const policy = 'default-e2ee' as const
  const sk = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['bob'])
  w = sk.w
  const { bob, carol } = sk.m as Record<'alice' | 'bob' | 'carol', Member>
  const ga = await e2eeGroup(w, policy, sk.m.alice!, ['bob', 'carol'])
  const gc = await w.side('carol', ga.id)
  const gb = await w.side('bob', ga.id)
  await gc.send({ text: 'carol, a member' })
  await waitFor(() => textsIn(bob, ga.id).includes('carol, a member'), 10_000, 'bob reads carol')
  expect(await bob.keyStore.get(peerChainKey(ga.id, { userId: 'carol', deviceId: carol.client.deviceId }))).not.toBeNull()
  // carol's client drops its own chain at its removal: the colluding copy is taken before.
  const own = (await carol.keyStore.get(ownChainKey(ga.id))) as unknown as { state: SenderKeyState }
  expect(own?.state).toBeTruthy()
  // Freeze bob's roster (as row-16-group-freeze).
  let dropped = 0
  w.proxy.hooks.serverFrame = (event, frame, ctx) => {
    if (ctx.userId !== 'bob') return [frame]
    if (event === 'message' && frame.kind === 'roster' && frame.conversationId === ga.id) { dropped++; return [] }
    if (event === 'conversation' && frame.id === ga.id) return []
    return [frame]
  }
  w.proxy.hooks.ack = (event, _req, res, ctx) => {
    if (ctx.userId !== 'bob' || !res?.ok || event !== 'inbox.sync') return res
    return { ...res, data: { ...res.data, deliveries: res.data.deliveries.filter((d: any) => !(d.kind === 'roster' && d.conversationId === ga.id)) } }
  }
  await ga.remove(['carol'])
  await waitFor(() => dropped === 1 && !gc.members.includes('carol'), 10_000, 'removal dropped for bob, verified by carol')
  expect(gb.members).toContain('carol')
  const carolDevice = { userId: 'carol', deviceId: carol.client.deviceId }
  const head = { version: (gc as any)._roster.version, head: (gc as any)._roster.head }
  const payload = new TextEncoder().encode(JSON.stringify({ v: PAYLOAD_VERSION, text: 'carol, removed', attachments: [], nf: toBase64(new Uint8Array(32)), cmid: 'cm1', roster: head }))
  const forged = senderKeyEncrypt(own.state, payload, senderKeyAd(ga.id, carolDevice)).message
  inject(w, 'bob', {
    kind: 'message', messageId: 'm_removed', conversationId: ga.id, seq: 800, sender: carolDevice, mode: 'e2ee',
    senderKey: { keyId: own.state.keyId, ciphertext: toBase64(forged) }, franking: { tf: toBase64(new Uint8Array(32)), rf: toBase64(new Uint8Array(32)), kid: 'k1' },
  })
  await waitFor(() => bob.errors.some((e) => e.messageId === 'm_removed'), 10_000, 'bob processed the frame')
  // Control: the frame reached bob, passed the stale member check and made him catch up.
  expect(bob.errors.find((e) => e.messageId === 'm_removed')!.error.code).toBe('member_mismatch')
  expect(gb.members).not.toContain('carol')
  const chain = await bob.keyStore.get(peerChainKey(ga.id, carolDevice))
  expect(chain).toBeNull()
})
