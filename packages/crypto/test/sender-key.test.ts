/**
 * The sender-key chain (the client's sender-keys GroupProtocol, decisions 0013/0014):
 * round trip, out-of-order delivery within the skipped-key bound, replay, the forward-jump
 * bound, signature-first checking, tampering, a chain a receiver does not hold (rotation: a
 * removed member keeps only the old chain), state untouched by every failure, and a chain
 * installed past a deleted message never opens it.
 */
import { describe, expect, it } from 'vitest'
import { ParleyError } from '@parley/protocol'
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS } from '../src/constants.js'
import {
  createSenderKey, senderKeyDecrypt, senderKeyDiscardNext, senderKeyDistribution, senderKeyEncrypt, senderKeyEncryptWith, senderKeyFromDistribution, type SenderKeyState,
} from '../src/sender-key/sender-key.js'
import { nobleProvider } from '../src/provider/noble.js'
import { nodeNativeProvider } from '../src/provider/node-native.js'

const ad = new TextEncoder().encode('group g1 / alice d1')
const text = (s: string) => new TextEncoder().encode(s)
const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return ParleyError.isInstance(e) ? e.code : String(e)
  }
  return 'ok'
}

function send(owner: SenderKeyState, n: number): { owner: SenderKeyState; messages: Uint8Array[] } {
  const messages: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const out = senderKeyEncrypt(owner, text(`m${i}`), ad)
    owner = out.state
    messages.push(out.message)
  }
  return { owner, messages }
}

describe('sender-key chain', () => {
  it('round-trips, in order and out of order, and refuses a replay', () => {
    const owner0 = createSenderKey()
    let bob = senderKeyFromDistribution(senderKeyDistribution(owner0))
    expect(senderKeyDistribution(owner0)).not.toHaveProperty('signingSecret')
    const { messages } = send(owner0, 4)
    for (const i of [0, 3, 1, 2]) {
      const out = senderKeyDecrypt(bob, messages[i]!, ad)
      expect(new TextDecoder().decode(out.plaintext)).toBe(`m${i}`)
      bob = out.state
    }
    expect(bob.skipped).toEqual([])
    expect(codeOf(() => senderKeyDecrypt(bob, messages[2]!, ad))).toBe('duplicate')
  })

  it('checks the signature first; tampering, another key or other context fail and change nothing', () => {
    const owner = createSenderKey()
    const bob = senderKeyFromDistribution(senderKeyDistribution(owner))
    const [m] = send(owner, 1).messages
    const tampered = m!.slice()
    tampered[12]! ^= 1
    expect(codeOf(() => senderKeyDecrypt(bob, tampered, ad))).toBe('invalid_signature')
    const forger = createSenderKey()
    const forged = senderKeyEncrypt({ ...forger, keyId: owner.keyId, chainKey: owner.chainKey }, text('forged'), ad).message
    expect(codeOf(() => senderKeyDecrypt(bob, forged, ad))).toBe('invalid_signature') // right chain key, wrong signature key
    expect(codeOf(() => senderKeyDecrypt(bob, m!, text('other group')))).toBe('invalid_signature')
    expect(codeOf(() => senderKeyDecrypt(bob, m!.subarray(0, 40), ad))).toBe('bad_mac')
    expect(senderKeyDecrypt(bob, m!, ad).plaintext).toEqual(text('m0')) // bob's state was untouched
  })

  it('bounds the forward jump and the skipped keys kept (oldest evicted)', () => {
    const owner = createSenderKey()
    const bob = senderKeyFromDistribution(senderKeyDistribution(owner))
    const far = senderKeyEncrypt({ ...owner, iteration: MAX_FORWARD_JUMPS + 1 }, text('far'), ad).message
    expect(codeOf(() => senderKeyDecrypt(bob, far, ad))).toBe('too_far_ahead')
    const { messages } = send(owner, MAX_MESSAGE_KEYS + 2)
    const after = senderKeyDecrypt(bob, messages[MAX_MESSAGE_KEYS + 1]!, ad).state
    expect(after.skipped).toHaveLength(MAX_MESSAGE_KEYS)
    expect(codeOf(() => senderKeyDecrypt(after, messages[0]!, ad))).toBe('duplicate') // evicted
    expect(senderKeyDecrypt(after, messages[1]!, ad).plaintext).toEqual(text('m1'))
  })

  it('rotation: a member holding only the old chain cannot read the new one', () => {
    const old = createSenderKey()
    const removed = senderKeyFromDistribution(senderKeyDistribution(old))
    const rotated = createSenderKey()
    const [m] = send(rotated, 1).messages
    expect(codeOf(() => senderKeyDecrypt(removed, m!, ad))).toBe('missing_session')
    expect(codeOf(() => senderKeyDecrypt({ ...removed, keyId: rotated.keyId }, m!, ad))).toBe('invalid_signature')
  })

  it('a provider-signed message is byte-for-byte the same (Ed25519 is deterministic) and reads', async () => {
    const owner = createSenderKey()
    const bob = senderKeyFromDistribution(senderKeyDistribution(owner))
    const plain = senderKeyEncrypt(owner, text('same'), ad)
    for (const provider of [nobleProvider, nodeNativeProvider()]) {
      const out = await senderKeyEncryptWith(provider, owner, text('same'), ad)
      expect(out.message).toEqual(plain.message)
      expect(out.state).toEqual(plain.state)
    }
    expect(senderKeyDecrypt(bob, plain.message, ad).plaintext).toEqual(text('same'))
    await expect(senderKeyEncryptWith(nobleProvider, senderKeyFromDistribution(senderKeyDistribution(owner)), text('x'), ad)).rejects.toThrow(TypeError)
  })

  it('a chain installed past a deleted message (senderKeyDiscardNext) never opens it; the next one reads', () => {
    const owner0 = createSenderKey()
    const dist = senderKeyDistribution(owner0) // what the deleted message carried: the chain at that message
    const { messages: [deleted, next] } = send(owner0, 2)
    // Control: installed as it was distributed, the deleted message opens.
    expect(senderKeyDecrypt(senderKeyFromDistribution(dist), deleted!, ad).plaintext).toEqual(text('m0'))
    const past = senderKeyDiscardNext(senderKeyFromDistribution(dist))
    expect(past).toMatchObject({ iteration: dist.iteration + 1, skipped: [] })
    expect(codeOf(() => senderKeyDecrypt(past, deleted!, ad))).toBe('duplicate')
    const read = senderKeyDecrypt(past, next!, ad)
    expect(read.plaintext).toEqual(text('m1'))
    expect(read.state.skipped).toEqual([])
  })
})
