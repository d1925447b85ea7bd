/**
 * Row 16 — a hostile server against sender-key group messages (docs/groups.md, decision 0014),
 * in each policy where groups are E2EE (optional-e2ee after the upgrade, default-e2ee). bob is
 * behind the tampering proxy; each attack is refused by his client with a typed `'error'`, the
 * message not shown, and each carries a control proving the frame reached his client:
 * - a sender-key message from a non-member (carol's genuine message in another group,
 *   relabelled into this one): `member_mismatch`, against bob's verified roster;
 * - a removed member's device using its old chain (carol, removed, signs a fresh message on the
 *   chain bob held before the removal): `member_mismatch`; the control decrypts that very
 *   message with the chain bob held before the removal (it is genuine), and bob dropped the chain;
 * - a tampered ciphertext: `invalid_signature`; a replay of a read message at a new seq:
 *   `duplicate`. Bob's stored chain is byte-for-byte what it was before each failure, and the
 *   next genuine message reads.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { senderKeyAd, senderKeyDecrypt, senderKeyEncrypt, type SenderKeyState } from '@parley/crypto'
import { fromBase64, toBase64 } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { textsIn, type GroupWorld, type Member } from '../groups/_group-world.js'
import { E2EE_GROUP_POLICIES, e2eeGroup, inject, ownChainKey, peerChainKey, senderKeyWorld } from '../groups/_sender-key-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

const errorFor = (m: Member, messageId: string) => m.errors.find((e) => e.messageId === messageId)

async function world(policy: (typeof E2EE_GROUP_POLICIES)[number]) {
  const sk = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['bob'])
  w = sk.w
  const { alice, bob, carol } = sk.m as Record<'alice' | 'bob' | 'carol', Member>
  const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
  return { alice, bob, carol, ga }
}

describe.each(E2EE_GROUP_POLICIES)('row 16: hostile server vs sender-key messages (%s)', (policy) => {
  it('a sender-key message from a non-member (relabelled from another group) is refused (member_mismatch)', async () => {
    const { bob, carol, ga } = await world(policy)
    await ga.remove(['carol'])
    const gb = await w.side('bob', ga.id)
    await waitFor(() => !gb.members.includes('carol'), 10_000, 'bob verifies the removal')
    const other = await e2eeGroup(w, policy, carol, ['bob'])
    let relabelled = 0
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (event === 'message' && ctx.userId === 'bob' && frame.conversationId === other.id && frame.senderKey) {
        relabelled++
        return [{ ...frame, conversationId: ga.id, seq: 800 }]
      }
      return [frame]
    }
    await other.send({ text: 'ghost in the group' })
    await waitFor(() => relabelled === 1 && bob.errors.length > 0, 10_000, 'bob refuses the relabelled message')
    expect(bob.errors.map((e) => e.error.code)).toEqual(['member_mismatch'])
    expect(bob.errors[0]!.error.details).toMatchObject({ conversationId: ga.id, userId: 'carol' })
    expect(textsIn(bob, ga.id)).toEqual([])
  })

  it('a removed member\'s device using its old chain is refused (member_mismatch); control: the message is genuine on the chain bob held', async () => {
    const { alice, bob, carol, ga } = await world(policy)
    const gc = await w.side('carol', ga.id)
    await gc.send({ text: 'carol, a member' })
    await waitFor(() => textsIn(bob, ga.id).includes('carol, a member'), 10_000, 'bob reads carol')
    const carolDevice = { userId: 'carol', deviceId: carol.client.deviceId }
    const heldBefore = (await bob.keyStore.get(peerChainKey(ga.id, carolDevice))) as unknown as { chains: SenderKeyState[] }
    expect(heldBefore.chains).toHaveLength(1)
    // carol's device keeps a copy of its chain (its client drops it at the removal; a hostile one would not).
    const own = (await carol.keyStore.get(ownChainKey(ga.id))) as unknown as { state: SenderKeyState }
    await ga.remove(['carol'])
    const gb = await w.side('bob', ga.id)
    await waitFor(() => !gb.members.includes('carol'), 10_000, 'bob verifies the removal')
    await waitFor(async () => (await carol.keyStore.get(ownChainKey(ga.id))) === null, 10_000, 'carol\'s client drops its own chain at the removal')
    // carol (removed) signs a fresh message on her old chain; the hostile server delivers it to bob.
    const forged = senderKeyEncrypt(own.state, new TextEncoder().encode('carol, removed'), senderKeyAd(ga.id, carolDevice)).message
    inject(w, 'bob', {
      kind: 'message', messageId: 'm_removed_old_chain', conversationId: ga.id, seq: 800, sender: carolDevice, mode: 'e2ee',
      senderKey: { keyId: own.state.keyId, ciphertext: toBase64(forged) }, franking: { tf: toBase64(new Uint8Array(32)), rf: toBase64(new Uint8Array(32)), kid: 'k1' },
    })
    await waitFor(() => errorFor(bob, 'm_removed_old_chain') !== undefined, 10_000, 'bob processed the frame')
    expect(errorFor(bob, 'm_removed_old_chain')!.error.code).toBe('member_mismatch')
    expect(textsIn(bob, ga.id)).toEqual(['carol, a member'])
    // Control: the message is genuine — the chain bob held before the removal opens it.
    expect(new TextDecoder().decode(senderKeyDecrypt(heldBefore.chains[0]!, forged, senderKeyAd(ga.id, carolDevice)).plaintext)).toBe('carol, removed')
    // And bob no longer holds carol's chain at all.
    expect(await bob.keyStore.get(peerChainKey(ga.id, carolDevice))).toBeNull()
    expect(alice.errors).toEqual([])
  })

  it('a tampered sender-key message (invalid_signature) and a replay (duplicate) are refused; the chain is untouched; the next message reads', async () => {
    const { alice, bob, ga } = await world(policy)
    const aliceDevice = { userId: 'alice', deviceId: alice.client.deviceId }
    const delivered: any[] = []
    let tamper = false
    let tampered = 0
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (event !== 'message' || ctx.userId !== 'bob' || !frame.senderKey) return [frame]
      delivered.push(structuredClone(frame))
      if (!tamper) return [frame]
      tampered++
      const bytes = fromBase64(frame.senderKey.ciphertext)
      bytes[20]! ^= 1
      return [{ ...frame, senderKey: { ...frame.senderKey, ciphertext: toBase64(bytes) } }]
    }
    await ga.send({ text: 'm1' })
    await waitFor(() => textsIn(bob, ga.id).includes('m1'), 10_000, 'bob reads m1')
    const chainKey = peerChainKey(ga.id, aliceDevice)
    const before = await bob.keyStore.get(chainKey)
    expect(before).not.toBeNull()

    tamper = true
    await ga.send({ text: 'm2' })
    await waitFor(() => bob.errors.length === 1, 10_000, 'bob refuses the tampered message')
    expect(tampered).toBe(1)
    expect(bob.errors[0]!.error.code).toBe('invalid_signature')
    expect(bob.errors[0]!.sessionReset).toBe(false) // a chain failure says nothing about the pairwise session
    expect(await bob.keyStore.get(chainKey)).toEqual(before)
    tamper = false

    await ga.send({ text: 'm3' })
    await waitFor(() => textsIn(bob, ga.id).includes('m3'), 10_000, 'bob reads m3')
    expect(textsIn(bob, ga.id)).toEqual(['m1', 'm3'])

    // The server replays m1 (read already) as a new message at a new seq (last: its inbox id is past anything real).
    const afterM3 = await bob.keyStore.get(chainKey)
    const { inboxId: _i, envelope: _e, ...replay } = delivered[0]
    inject(w, 'bob', { ...replay, messageId: 'm_replay', seq: 800 })
    await waitFor(() => errorFor(bob, 'm_replay') !== undefined, 10_000, 'bob processed the replay')
    expect(errorFor(bob, 'm_replay')!.error.code).toBe('duplicate')
    expect(await bob.keyStore.get(chainKey)).toEqual(afterM3)
    expect(textsIn(bob, ga.id)).toEqual(['m1', 'm3'])
  })
})
