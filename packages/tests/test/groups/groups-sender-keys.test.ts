/**
 * Sender keys for E2EE groups (docs/groups.md, decision 0014), in each policy where groups are
 * E2EE (optional-e2ee after the upgrade, default-e2ee):
 * - one signed ciphertext per group send; the chain is distributed once per chain per device
 *   (envelope counts: every other device on the first send, none after, only a new member's
 *   device after an add), and a removal rotates it (a new chain id, distributed only to the
 *   devices still in the verified roster);
 * - a removed member cannot decrypt anything sent after its removal: the hostile server hands
 *   it the post-removal ciphertext and its client has no chain for it (control: the same client
 *   read the messages sent before, on the old chain, and the injected frame reached it);
 * - the chains survive a restart of the sender and of a receiver (no new distribution, the
 *   next message reads);
 * - a coverage refusal (the server lost its record of who holds the chain) makes the sender
 *   rotate and rebuild the send once, and it is read;
 * - a member removed and re-added writes on a new chain (every member dropped the old one at
 *   the removal, the member too), and it is read.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { senderKeyDecrypt, senderKeyAd, type SenderKeyState } from '@parley/crypto'
import { fromBase64 } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { codesOf, textsIn, type GroupWorld } from './_group-world.js'
import { E2EE_GROUP_POLICIES, e2eeGroup, inject, ownChainKey, peerChainKey, restart, senderKeyWorld } from './_sender-key-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

const codeOf = (fn: () => unknown) => {
  try {
    fn()
    return 'ok'
  } catch (e) {
    return (e as { code?: string }).code ?? String(e)
  }
}

describe.each(E2EE_GROUP_POLICIES)('sender keys (%s)', (policy) => {
  it('a removed member cannot decrypt anything sent after its removal (control: it read what came before)', async () => {
    const world = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['alice', 'carol'])
    w = world.w
    const { alice, bob, carol } = world.m as Record<'alice' | 'bob' | 'carol', NonNullable<(typeof world.m)[string]>>
    const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
    await ga.send({ text: 'before 1' })
    await ga.send({ text: 'before 2' })
    await waitFor(() => textsIn(carol, ga.id).length === 2 && textsIn(bob, ga.id).length === 2, 10_000, 'both read before removal')
    const [first, second] = world.sent.of('alice')
    expect(first.senderKey).toBeDefined()
    expect(first.envelopes.map((e: any) => e.userId).sort()).toEqual(['bob', 'carol']) // distributions
    expect(second.envelopes).toEqual([]) // every device holds the chain
    expect(second.senderKey.keyId).toBe(first.senderKey.keyId)

    await ga.remove(['carol'])
    const gc = await w.side('carol', ga.id)
    await waitFor(() => !gc.members.includes('carol'), 10_000, 'carol verifies her removal')
    await ga.send({ text: 'after removal' })
    await waitFor(() => textsIn(bob, ga.id).includes('after removal'), 10_000, 'bob reads after removal')
    const after = world.sent.of('alice').at(-1)
    expect(after.senderKey.keyId).not.toBe(first.senderKey.keyId) // rotated
    expect(after.envelopes.map((e: any) => e.userId)).toEqual(['bob']) // the new chain only to the remaining member
    expect(textsIn(carol, ga.id)).toEqual(['before 1', 'before 2'])

    // The hostile server hands carol the post-removal ciphertext anyway.
    const sender = { userId: 'alice', deviceId: alice.client.deviceId }
    const held = (await carol.keyStore.get(peerChainKey(ga.id, sender))) as unknown as { chains: SenderKeyState[] }
    inject(w, 'carol', {
      kind: 'message', messageId: 'm_after_removal', conversationId: ga.id, seq: 900, sender, mode: 'e2ee',
      senderKey: after.senderKey, franking: { tf: after.tf, rf: after.tf, kid: 'k1' },
    })
    await waitFor(() => carol.errors.some((e) => e.messageId === 'm_after_removal'), 10_000, 'carol processed the injected frame')
    expect(carol.errors.find((e) => e.messageId === 'm_after_removal')!.error.code).toBe('missing_session')
    expect(textsIn(carol, ga.id)).toEqual(['before 1', 'before 2'])
    // And cryptographically: the only chain of alice's carol holds is the old one; it does not open the new message, whatever id it claims.
    expect(held.chains.map((c) => c.keyId)).toEqual([first.senderKey.keyId])
    const bytes = fromBase64(after.senderKey.ciphertext)
    expect(codeOf(() => senderKeyDecrypt(held.chains[0]!, bytes, senderKeyAd(ga.id, sender)))).toBe('missing_session')
    expect(codeOf(() => senderKeyDecrypt({ ...held.chains[0]!, keyId: after.senderKey.keyId }, bytes, senderKeyAd(ga.id, sender)))).toBe('invalid_signature')
    expect(codesOf(carol).filter((c) => c !== 'missing_session')).toEqual([])
  })

  it('distribution happens once per chain per device; the chains survive a restart of sender and receiver', async () => {
    const world = await senderKeyWorld(policy, ['alice', 'bob', 'carol', 'dave'], ['alice'])
    w = world.w
    let { alice, bob } = world.m as Record<string, NonNullable<(typeof world.m)[string]>> as any
    const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
    await ga.send({ text: 'm1' })
    await ga.send({ text: 'm2' })
    await waitFor(() => textsIn(bob, ga.id).length === 2, 10_000, 'bob reads m1, m2')
    const own = await alice.keyStore.get(ownChainKey(ga.id))
    expect(own).not.toBeNull()

    alice = await restart(w, alice, true)
    bob = await restart(w, bob, false)
    const ga2 = alice.client.conversations.get(ga.id) ?? (await w.side('alice', ga.id))
    await ga2.send({ text: 'm3 after restarts' })
    await waitFor(() => textsIn(bob, ga.id).includes('m3 after restarts') && textsIn(w.users.carol!, ga.id).includes('m3 after restarts'), 10_000, 'm3 read')
    // A new member gets the current chain, nobody else gets it again.
    await ga2.add(['dave'])
    await w.side('dave', ga.id)
    await ga2.send({ text: 'm4 with dave' })
    await waitFor(() => textsIn(w.users.dave!, ga.id).includes('m4 with dave'), 10_000, 'dave reads m4')
    const frames = world.sent.of('alice')
    expect(frames.map((f) => f.envelopes.length)).toEqual([2, 0, 0, 1])
    expect(frames[3].envelopes.map((e: any) => e.userId)).toEqual(['dave'])
    expect(new Set(frames.map((f) => f.senderKey.keyId)).size).toBe(1) // one chain throughout: restart and add rotate nothing
    for (const m of [bob, w.users.carol!, w.users.dave!]) expect(codesOf(m)).toEqual([])
  })

  it('a coverage refusal (the server lost who holds the chain) rotates the chain and the send goes through once rebuilt', async () => {
    const world = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['alice'])
    w = world.w
    const { alice, bob, carol } = world.m as Record<'alice' | 'bob' | 'carol', NonNullable<(typeof world.m)[string]>>
    const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
    await ga.send({ text: 'one' })
    await waitFor(() => textsIn(bob, ga.id).length === 1, 10_000, 'bob reads one')
    // The server forgets the holders once (a lost write): alice's next send, with no distributions, is refused.
    const holders = w.store.senderKeys.holders.bind(w.store.senderKeys)
    let forgotten = 0
    w.store.senderKeys.holders = async (chain) => (forgotten++ === 0 ? [] : holders(chain))
    await ga.send({ text: 'two' })
    await waitFor(() => textsIn(bob, ga.id).includes('two') && textsIn(carol, ga.id).includes('two'), 10_000, 'two read after the rebuild')
    const frames = world.sent.of('alice')
    expect(frames.map((f) => f.envelopes.length)).toEqual([2, 0, 2])
    expect(frames[1].senderKey.keyId).toBe(frames[0].senderKey.keyId)
    expect(frames[2].senderKey.keyId).not.toBe(frames[0].senderKey.keyId) // rotated, distributed afresh
    expect(forgotten).toBeGreaterThanOrEqual(2)
    for (const m of [alice, bob, carol]) expect(codesOf(m)).toEqual([])
  })

  it('a member removed and re-added writes on a new chain that every member reads', async () => {
    const world = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['carol'])
    w = world.w
    const { alice, bob, carol } = world.m as Record<'alice' | 'bob' | 'carol', NonNullable<(typeof world.m)[string]>>
    const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
    const gc = await w.side('carol', ga.id)
    await gc.send({ text: 'carol before' })
    await waitFor(() => textsIn(bob, ga.id).includes('carol before'), 10_000, 'bob reads carol')
    await ga.remove(['carol'])
    await waitFor(() => !gc.members.includes('carol'), 10_000, 'carol verifies her removal')
    await ga.add(['carol'])
    await waitFor(() => gc.members.includes('carol'), 10_000, 'carol verifies she is back')
    await gc.send({ text: 'carol back' })
    await waitFor(() => textsIn(bob, ga.id).includes('carol back') && textsIn(alice, ga.id).includes('carol back'), 10_000, 'both read carol again')
    const frames = world.sent.of('carol')
    expect(frames[1].senderKey.keyId).not.toBe(frames[0].senderKey.keyId) // her old chain was dropped by everyone, and by her
    expect(frames[1].envelopes.map((e: any) => e.userId).sort()).toEqual(['alice', 'bob'])
    for (const m of [alice, bob]) expect(codesOf(m)).toEqual([])
  })

  it('a burst of sends right after a rotation: one frame distributes, the rest wait for its ack and are accepted', async () => {
    const world = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['alice'])
    w = world.w
    const { alice, bob, carol } = world.m as Record<'alice' | 'bob' | 'carol', NonNullable<(typeof world.m)[string]>>
    const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
    // The network holds the distributing frame back a little: without waiting for its ack, the
    // frames after it would reach the server first, before anyone holds the chain, and be refused.
    const record = w.proxy.hooks.request!
    let held = 0
    w.proxy.hooks.request = (event, req, ctx) => {
      const out = record(event, req, ctx)
      if (event === 'message.send' && req.senderKey && req.envelopes.length > 0 && held++ === 0) return new Promise((resolve) => setTimeout(() => resolve(out), 500))
      return out
    }
    const texts = Array.from({ length: 8 }, (_, i) => `burst ${i}`)
    await Promise.all(texts.map((text) => ga.send({ text })))
    await waitFor(() => textsIn(bob, ga.id).length === 8 && textsIn(carol, ga.id).length === 8, 10_000, 'the burst read')
    expect(textsIn(bob, ga.id)).toEqual(texts)
    const frames = world.sent.of('alice')
    expect(frames.map((f) => f.envelopes.length)).toEqual([2, 0, 0, 0, 0, 0, 0, 0]) // no refusal, no re-distribution
    expect(new Set(frames.map((f) => f.senderKey.keyId)).size).toBe(1)
    expect(held).toBe(1)
    for (const m of [alice, bob, carol]) expect(codesOf(m)).toEqual([])
  })
})
