/**
 * Message references (docs/messages.md): franking binds a reference without changing the
 * encoding of messages that carry none; the device signature over `tf`; report verification of
 * references, deleted entries (binding only) and edit chains (`bad_reference`).
 */
import { describe, expect, it } from 'vitest'
import type { ReportEntry } from '@parley/protocol'
import {
  bindFranking, checkFranking, frankMessage, frankingBytes, generateDeviceIdentity, generateFrankingKey, seededRandom, signMessageRef, verifyMessageRef, verifyTranscript,
  type FrankingKeyring,
} from '../src/index.js'

const random = seededRandom(new Uint8Array(32).fill(5))
const keyring: FrankingKeyring = { currentKid: 'k1', keys: { k1: generateFrankingKey(random) } }
const alice = { userId: 'alice', deviceId: 'a1' }
const mallory = { userId: 'mallory', deviceId: 'm1' }

function entry(seq: number, text: string, sender = alice, ref?: ReportEntry['ref']): ReportEntry {
  const { nf, tf } = frankMessage({ text, attachments: [], ref }, random)
  const ts = 1_700_000_000_000 + seq
  const { rf, kid } = bindFranking(keyring, { tf, sender, conversationId: 'c1', seq, ts })
  return { messageId: `m${seq}`, conversationId: 'c1', seq, ts, sender, text, attachments: [], nf, tf, rf, kid, ...(ref ? { ref } : {}) }
}

describe('message references', () => {
  it('franking binds the reference; a message without one encodes as before', () => {
    const plain = { text: 'hi', attachments: [] }
    const withRef = { ...plain, ref: { kind: 'reply' as const, messageId: 'm1' } }
    expect(frankingBytes({ ...plain, ref: undefined })).toEqual(frankingBytes(plain))
    expect(frankingBytes(withRef).length).toBeGreaterThan(frankingBytes(plain).length)
    const { nf, tf } = frankMessage(withRef)
    expect(checkFranking(withRef, nf, tf)).toBe(true)
    expect(checkFranking(plain, nf, tf)).toBe(false)
    expect(checkFranking({ ...plain, ref: { kind: 'reply', messageId: 'm2' } }, nf, tf)).toBe(false) // re-pointed
    expect(checkFranking({ ...plain, ref: { kind: 'edit', messageId: 'm1' } }, nf, tf)).toBe(false) // another kind
  })

  it('the device signature covers conversation and commitment', () => {
    const device = generateDeviceIdentity('d1', random)
    const { tf } = frankMessage({ text: 'x', attachments: [], ref: { kind: 'edit', messageId: 'm1' } })
    const sig = signMessageRef(device, { conversationId: 'c1', tf })
    expect(verifyMessageRef(sig, device.signing.publicKey, { conversationId: 'c1', tf })).toBe(true)
    expect(verifyMessageRef(sig, device.signing.publicKey, { conversationId: 'c2', tf })).toBe(false)
    expect(verifyMessageRef(sig, device.signing.publicKey, { conversationId: 'c1', tf: frankMessage({ text: 'x', attachments: [] }).tf })).toBe(false)
    expect(verifyMessageRef(sig, generateDeviceIdentity('d1', random).signing.publicKey, { conversationId: 'c1', tf })).toBe(false)
    expect(verifyMessageRef('junk', device.signing.publicKey, { conversationId: 'c1', tf })).toBe(false)
  })

  it('reports: references verify, deleted entries verify by binding only, edits by another user are bad_reference', () => {
    const original = entry(1, 'hello')
    const edit = entry(2, 'hello, edited', alice, { kind: 'edit', messageId: 'm1' })
    const forged = entry(3, 'mallory edits', mallory, { kind: 'edit', messageId: 'm1' })
    const ok = verifyTranscript(keyring, [original, edit], 'c1')
    expect(ok.entries.map((e) => [e.verified, e.ref?.kind])).toEqual([[true, undefined], [true, 'edit']])
    expect(ok.transcript.verified).toBe(true)
    // A reference swapped in a report does not open the commitment.
    expect(verifyTranscript(keyring, [original, { ...edit, ref: { kind: 'edit', messageId: 'm9' } }], 'c1').entries[1]!.failure).toBe('bad_opening')
    const bad = verifyTranscript(keyring, [original, edit, forged], 'c1')
    expect(bad.entries.map((e) => e.failure)).toEqual([undefined, undefined, 'bad_reference'])
    expect(bad.transcript.verified).toBe(false)
    // Deleted for everyone, with its tombstone in the report (decision 0021): no content, the
    // binding still verifies; content claimed with it that does not open does not.
    const deleted: ReportEntry = { ...original, text: '', deleted: true }
    const tomb = entry(4, '', alice, { kind: 'delete', messageId: 'm1', tf: original.tf })
    expect(verifyTranscript(keyring, [deleted, tomb], 'c1').entries[0]).toMatchObject({ verified: true, deleted: true, text: '' })
    expect(verifyTranscript(keyring, [{ ...deleted, text: 'made up' }, tomb], 'c1').entries[0]!.failure).toBe('bad_opening')
    expect(verifyTranscript(keyring, [{ ...deleted, seq: 7 }, tomb], 'c1').entries[0]!.failure).toBe('bad_binding')
  })
})
