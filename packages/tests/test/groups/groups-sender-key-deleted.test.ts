/**
 * Delete for everyone × sender keys (docs/messages.md, docs/threat-model.md rows 16 and 18).
 * A sender's chain reaches each member device once, in the pairwise envelope of the first
 * sender-key message sent to it. That message deleted for everyone before an offline member
 * device fetched it: the server drops its one ciphertext but keeps the distribution envelopes,
 * and the device installs the chain from the deleted delivery, so it reads the sender's next
 * message. Before the fix the envelope went with the content and the device could read nothing
 * the sender sent on that chain until the next rotation. The same when a moderator removed it
 * (`removeMessage`: the same store call, no tombstone).
 * Control: the deleted delivery waiting for the offline device holds an envelope and no
 * content; an online member read the message before its deletion and hides it after.
 * Also (review of session 6): the chain is installed one step past the deleted message with its
 * key dropped, so the deleted ciphertext, re-delivered by a hostile server that kept it, does not
 * open on the chain the device holds (control: it is a genuine ciphertext of that chain, its
 * signature verifies there, and carol read it).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { senderKeyAd, senderKeyDecrypt, type SenderKeyState } from '@parley/crypto'
import { fromBase64 } from '@parley/protocol'
import { fullHistory, waitFor } from '../helpers/parley.js'
import { codesOf, textsIn, type GroupWorld, type Member } from './_group-world.js'
import { E2EE_GROUP_POLICIES, e2eeGroup, peerChainKey, restart, senderKeyWorld } from './_sender-key-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

const CASES = E2EE_GROUP_POLICIES.flatMap((policy) => (['author', 'moderator'] as const).map((by) => ({ policy, by })))

describe.each(CASES)('sender keys survive delete for everyone ($policy, deleted by the $by)', ({ policy, by }) => {
  it('an offline device installs the chain from the deleted first message and reads the next one', async () => {
    const world = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], [])
    w = world.w
    const { alice, carol } = world.m as Record<'alice' | 'bob' | 'carol', Member>
    let bob = world.m.bob!
    const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
    await w.side('bob', ga.id)
    const bobDevice = { userId: 'bob', deviceId: bob.client.deviceId }
    await bob.client.close() // offline: alice's first sender-key message waits in bob's inbox

    const first = await ga.send({ text: 'first, carries the chain' })
    // What a hostile server could keep: the first message's one ciphertext, before the deletion.
    const kept = (await w.store.inboxAfter(bobDevice, 0, 100, Date.now())).find((d) => d.message.id === first.messageId)?.message.senderKey
    expect(kept).toBeDefined()
    await waitFor(() => textsIn(carol, ga.id).includes('first, carries the chain'), 10_000, 'carol reads the first message')
    if (by === 'author') {
      await ga.deleteForEveryone(first.messageId)
      await waitFor(async () => (await fullHistory(carol.client, ga.id)).find((m) => m.id === first.messageId)?.deleted !== undefined, 10_000, 'carol hides it')
    } else await w.server.parley.moderation.removeMessage(ga.id, first.messageId, { reason: 'test' })

    // Control: what waits for bob is the deleted delivery, with his distribution and no content.
    const waiting = (await w.store.inboxAfter(bobDevice, 0, 100, Date.now())).find((d) => d.message.id === first.messageId)
    expect(waiting?.message.deleted).toBe(true)
    expect(waiting?.message.senderKey).toBeUndefined()
    expect(waiting?.envelope).toBeDefined()

    await ga.send({ text: 'second, after the deletion' })
    bob = await restart(w, bob, false)
    await waitFor(() => textsIn(bob, ga.id).includes('second, after the deletion'), 10_000, 'bob reads the second message')
    // The deleted one is said (not shown, not skipped silently); nothing else failed.
    await waitFor(() => codesOf(bob).includes('message_unavailable'), 10_000, 'bob is told the first is gone')
    expect(codesOf(bob)).toEqual(['message_unavailable'])
    expect(bob.errors[0]?.messageId).toBe(first.messageId)
    expect(textsIn(bob, ga.id)).toEqual(['second, after the deletion'])

    // The deleted message never opens on bob's chain, whoever re-delivers it: its key was dropped.
    const sender = { userId: 'alice', deviceId: alice.client.deviceId }
    const held = (await bob.keyStore.get(peerChainKey(ga.id, sender))) as unknown as { chains: SenderKeyState[] }
    const chain = held.chains.find((c) => c.keyId === kept!.keyId)!
    const deleted = fromBase64(kept!.ciphertext)
    const iteration = new DataView(deleted.buffer, deleted.byteOffset).getUint32(5)
    // Bob read past it (the author's tombstone, the second message): before the fix the chain
    // started at the deleted message, whose key then sat in `skipped` and opened it.
    expect(chain.iteration).toBeGreaterThan(iteration + 1)
    expect(chain.skipped.map(([i]) => i)).not.toContain(iteration)
    // Refused as already used — after its signature verified (control: a genuine ciphertext of this chain, which carol read).
    expect(() => senderKeyDecrypt(chain, deleted, senderKeyAd(ga.id, sender))).toThrow(expect.objectContaining({ code: 'duplicate' }))
  })
})
