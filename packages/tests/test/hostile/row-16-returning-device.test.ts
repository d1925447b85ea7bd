/**
 * Row 16, finding F4 (decision 0022): a device that comes back under the same device id with
 * new device keys, its user identity unchanged (a reinstall keeping its id, or whoever holds
 * the user identity key). Sender-key chains were tied to the device id, so the members kept
 * treating the new install as the holder of the old one's chains, and the old install as a
 * member device. A hostile server lets bob's device b1 return with new keys (it vouches for
 * the new keys' hello with the old key's proof) and keeps serving the old install:
 * - sending: alice's chain was given to b1's previous keys; her next send rotates (a new chain,
 *   distributed to b1's new keys) with a `device_keys_changed` `rotated` error event, so the old
 *   install holds no chain of anything sent after. Control: before the return, alice's chain is
 *   the one the old install holds, and the new install reads her message after.
 * - receiving: the old install signs a message on its old chain; the hostile server swaps it into
 *   one of b1's deliveries to alice: refused (`device_keys_changed`, `refused`). Control: the same
 *   swap before the return is read (so the refusal is due to the new keys, not the path), and the
 *   new install's own chain is read.
 * In the E2EE policies only: a server-side group has no sender keys (the server reads it).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { frankMessage, generateDeviceIdentity, senderKeyAd, senderKeyEncrypt, signDeviceList, signHelloProof, type DeviceIdentity, type SenderKeyState } from '@parley/crypto'
import { PAYLOAD_VERSION, memoryKeyStore } from '@parley/client'
import { toBase64, type SignedDeviceList } from '@parley/protocol'
import { connect, waitFor } from '../helpers/parley.js'
import { textsIn, type GroupWorld, type Member } from '../groups/_group-world.js'
import { E2EE_GROUP_POLICIES, e2eeGroup, ownChainKey, peerChainKey, senderKeyWorld } from '../groups/_sender-key-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

interface Self { userId: string; deviceId: string; device: DeviceIdentity; deviceList: SignedDeviceList; user: { publicKey: string; secretKey: string }; registered: boolean }

describe.each(E2EE_GROUP_POLICIES)('row 16: a device returning under its id with new keys (%s)', (policy) => {
  it('alice rotates her chain away from the old install, and refuses the old install\'s chain', async () => {
    const sk = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['alice'])
    w = sk.w
    const { alice, bob } = sk.m as Record<'alice' | 'bob' | 'carol', Member>
    const ga = await e2eeGroup(w, policy, alice, ['bob', 'carol'])
    const gb = await w.side('bob', ga.id)
    const b1 = { userId: 'bob', deviceId: bob.client.deviceId }
    await gb.send({ text: 'bob-1' })
    await waitFor(() => textsIn(alice, ga.id).includes('bob-1'), 10_000, 'alice reads bob')
    await ga.send({ text: 'alice-1' })
    await waitFor(() => textsIn(bob, ga.id).includes('alice-1'), 10_000, 'bob reads alice')
    const aliceChainAtOld = (await bob.keyStore.get(peerChainKey(ga.id, { userId: 'alice', deviceId: alice.client.deviceId }))) as unknown as { chains: SenderKeyState[] }
    const aliceFirst = (await alice.keyStore.get(ownChainKey(ga.id))) as unknown as { state: SenderKeyState }
    expect(aliceChainAtOld.chains.map((c) => c.keyId)).toContain(aliceFirst.state.keyId)
    const aliceChainRef = { conversationId: ga.id, sender: { userId: 'alice', deviceId: alice.client.deviceId }, keyId: aliceFirst.state.keyId }
    const holdersOf = async () => (await w.store.senderKeys.holders(aliceChainRef)).map((d) => `${d.userId}/${d.deviceId}`)
    expect(await holdersOf()).toContain(`bob/${b1.deviceId}`) // control: the server counts b1 as a holder

    // The old install's chain, as a thief keeping the old key store would hold it. The hostile server swaps it
    // into one of b1's real deliveries to alice (so the frame has a real seq and message id).
    let oldChain = ((await bob.keyStore.get(ownChainKey(ga.id))) as unknown as { state: SenderKeyState }).state
    let swap: { carrier: string; senderKey: { keyId: number; ciphertext: string }; tf: string } | null = null
    let swapped = ''
    const forge = (text: string, carrier: 'bob' | 'carol') => {
      const { nf, tf } = frankMessage({ text, attachments: [] })
      const head = { version: (ga as any)._roster.version, head: (ga as any)._roster.head }
      const payload = new TextEncoder().encode(JSON.stringify({ v: PAYLOAD_VERSION, text, attachments: [], nf, cmid: `cm-${text.length}`, roster: head }))
      const out = senderKeyEncrypt(oldChain, payload, senderKeyAd(ga.id, b1))
      oldChain = out.state
      swap = { carrier, senderKey: { keyId: oldChain.keyId, ciphertext: toBase64(out.message) }, tf }
    }
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (!swap || ctx.userId !== 'alice' || event !== 'message' || frame.conversationId !== ga.id || frame.sender?.userId !== swap.carrier || frame.envelope) return [frame]
      const { envelope: _e, ...rest } = frame
      const out = { ...rest, sender: b1, senderKey: swap.senderKey, franking: { ...frame.franking, tf: swap.tf } }
      swap = null
      swapped = frame.messageId
      return [out]
    }
    // Control: the swap reaches alice and is read while b1 still has these keys.
    forge('old install, before', 'bob')
    await gb.send({ text: 'carrier-1' })
    await waitFor(() => textsIn(alice, ga.id).includes('old install, before'), 10_000, 'alice reads the control forgery')
    expect(textsIn(alice, ga.id)).not.toContain('carrier-1')

    // b1 comes back with new keys under the same id; the hostile server vouches for it with the old key's proof.
    const old = (await bob.keyStore.get('self')) as unknown as Self
    await bob.client.close()
    const device = generateDeviceIdentity(b1.deviceId)
    const devices = old.deviceList.devices.map((d) => (d.deviceId === b1.deviceId ? { deviceId: d.deviceId, signingKey: device.signing.publicKey, identityKey: device.identity.publicKey } : d))
    const deviceList = signDeviceList(old.user, { userId: 'bob', version: old.deviceList.version + 1, devices })
    const keyStore = memoryKeyStore()
    await keyStore.set('self', { ...old, device, deviceList, registered: false } as never)
    w.proxy.hooks.request = (event, req, ctx) => {
      if (event !== 'hello' || ctx.userId !== 'bob' || !req.proof) return req
      return { ...req, proof: { nonce: req.proof.nonce, signature: signHelloProof(old.device, { nonce: req.proof.nonce, userId: 'bob', deviceId: b1.deviceId }) } }
    }
    const fresh = await connect(w.proxy.url, 'bob', { keyStore })
    const back: Member = { userId: 'bob', client: fresh, keyStore, errors: [], got: [], members: [] }
    fresh.on('error', (e) => back.errors.push(e))
    fresh.on('message', (m) => m.status === 'received' && !m.outgoing && back.got.push(m))
    w.users.bob = back
    expect(fresh.deviceId).toBe(b1.deviceId)
    expect((await w.store.getUser('bob'))!.deviceList.version).toBe(old.deviceList.version + 1)
    // The honest part of the server: b1's new keys hold none of the chains its previous keys were given.
    expect(await holdersOf()).not.toContain(`bob/${b1.deviceId}`)

    // Sending: alice's next message is on a new chain, given to b1's new keys; the old install holds none of it.
    await ga.send({ text: 'alice-2' })
    await waitFor(() => textsIn(back, ga.id).includes('alice-2'), 10_000, 'the new install reads alice')
    const aliceNext = (await alice.keyStore.get(ownChainKey(ga.id))) as unknown as { state: SenderKeyState }
    expect(aliceNext.state.keyId).not.toBe(aliceFirst.state.keyId)
    expect(aliceChainAtOld.chains.map((c) => c.keyId)).not.toContain(aliceNext.state.keyId)
    expect(alice.errors.find((e) => e.error.code === 'device_keys_changed')?.error.details).toMatchObject({ userId: 'bob', deviceId: b1.deviceId, action: 'rotated' })

    // Receiving: the old install's chain, swapped into a delivery to alice (carol's, relabelled as b1's), is refused.
    const gc = await w.side('carol', ga.id)
    await waitFor(() => textsIn(sk.m.carol!, ga.id).includes('alice-2'), 10_000, 'carol reads alice')
    await gc.send({ text: 'carol-2' }) // carol rotates too (she gave b1's previous keys her chain): this one carries distributions
    await waitFor(() => textsIn(alice, ga.id).includes('carol-2'), 10_000, 'alice reads carol')
    forge('old install, after', 'carol')
    await gc.send({ text: 'carrier-2' })
    await waitFor(() => alice.errors.some((e) => e.messageId === swapped), 10_000, 'alice processed the swapped delivery')
    expect(alice.errors.find((e) => e.messageId === swapped)!.error).toMatchObject({ code: 'device_keys_changed', details: { userId: 'bob', deviceId: b1.deviceId, action: 'refused' } })
    expect(textsIn(alice, ga.id)).not.toContain('old install, after')

    // The new install's own chain (distributed over its new pairwise sessions) is read, and replaces the old install's.
    const gbNew = await w.side('bob', ga.id)
    await gbNew.send({ text: 'bob-2' })
    await waitFor(() => textsIn(alice, ga.id).includes('bob-2'), 10_000, 'alice reads the new install')
    const held = (await alice.keyStore.get(peerChainKey(ga.id, b1))) as unknown as { chains: SenderKeyState[] }
    expect(held.chains.map((c) => c.keyId)).not.toContain(oldChain.keyId)
  }, 60_000)
})
