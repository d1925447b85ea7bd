/**
 * Decision 0021 (docs/messages.md): a reference names its target by the target's franking
 * commitment `tf` and an edit by its version, both franked; report verification resolves
 * references by `tf`, keeps the content of a deleted message verifiable, and refuses
 * `deleted: true` without a verified tombstone (`no_tombstone`).
 */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import type { ReportEntry } from '@parley/protocol'
import { bindFranking, checkFranking, frankMessage, frankingBytes, generateFrankingKey, seededRandom, verifyTranscript, type FrankingKeyring } from '../src/index.js'

const random = seededRandom(new Uint8Array(32).fill(9))
const keyring: FrankingKeyring = { currentKid: 'k1', keys: { k1: generateFrankingKey(random) } }
const alice = { userId: 'alice', deviceId: 'a1' }
const mallory = { userId: 'mallory', deviceId: 'm1' }

function entry(seq: number, text: string, sender = alice, ref?: ReportEntry['ref'], id = `m${seq}`): ReportEntry {
  const { nf, tf } = frankMessage({ text, attachments: [], ref }, random)
  const ts = 1_700_000_000_000 + seq
  const { rf, kid } = bindFranking(keyring, { tf, sender, conversationId: 'c1', seq, ts })
  return { messageId: id, conversationId: 'c1', seq, ts, sender, text, attachments: [], nf, tf, rf, kid, ...(ref ? { ref } : {}) }
}

const vectors = JSON.parse(readFileSync(new URL('./vectors/message-ref.json', import.meta.url), 'utf8')) as {
  cases: { name: string; message: Parameters<typeof frankingBytes>[0]; bytesHex: string; nf: string; tf: string }[]
}

describe('references by commitment (decision 0021)', () => {
  it.each(vectors.cases)('vector: $name', (v) => {
    expect(Buffer.from(frankingBytes(v.message)).toString('hex')).toBe(v.bytesHex)
    expect(checkFranking(v.message, v.nf, v.tf)).toBe(true)
  })

  it('franking binds the target commitment and the edit version; a reference without them encodes as before', () => {
    const tfA = frankMessage({ text: 'a', attachments: [] }, random).tf
    const tfB = frankMessage({ text: 'b', attachments: [] }, random).tf
    const legacy = { text: 'x', attachments: [], ref: { kind: 'edit' as const, messageId: 'm1' } }
    expect(frankingBytes({ ...legacy, ref: { ...legacy.ref, tf: undefined, version: undefined } })).toEqual(frankingBytes(legacy))
    const msg = { text: 'x', attachments: [], ref: { kind: 'edit' as const, messageId: 'm1', tf: tfA, version: 2 } }
    const { nf, tf } = frankMessage(msg, random)
    expect(checkFranking(msg, nf, tf)).toBe(true)
    expect(checkFranking({ ...msg, ref: { ...msg.ref, tf: tfB } }, nf, tf)).toBe(false) // re-pointed by commitment
    expect(checkFranking({ ...msg, ref: { ...msg.ref, version: 3 } }, nf, tf)).toBe(false) // reordered
    expect(checkFranking(legacy, nf, tf)).toBe(false)
    expect(() => frankingBytes({ ...msg, ref: { ...msg.ref, tf: 'AAAA' } })).toThrow(RangeError)
    expect(() => frankingBytes({ ...msg, ref: { ...msg.ref, version: 0 } })).toThrow(RangeError)
  })

  it('edits and tombstones resolve their target by tf, not by the (server-chosen) id', () => {
    const original = entry(1, 'hello')
    // Mallory's message given alice's id by a hostile server: the reference still names alice's commitment.
    const impostor = entry(2, 'not alice', mallory, undefined, 'm1-dup')
    const edit = entry(3, 'hello, edited', alice, { kind: 'edit', messageId: 'm1-dup', tf: original.tf, version: 1 })
    const r = verifyTranscript(keyring, [original, impostor, edit], 'c1')
    expect(r.entries.map((e) => e.failure)).toEqual([undefined, undefined, undefined]) // the edit is alice's, of alice's message
    // Control: resolved by id, the same edit would have been judged against mallory's message.
    const byId = entry(4, 'hello, edited', alice, { kind: 'edit', messageId: 'm1-dup' })
    expect(verifyTranscript(keyring, [original, impostor, byId], 'c1').entries[2]!.failure).toBe('bad_reference')
    const forged = entry(5, 'mallory edits', mallory, { kind: 'edit', messageId: 'm1', tf: original.tf, version: 1 })
    expect(verifyTranscript(keyring, [original, forged], 'c1').entries[1]!.failure).toBe('bad_reference')
  })

  it('deleted entries: content within the window verifies; deleted without a verified tombstone is no_tombstone', () => {
    const original = entry(1, 'something I received')
    const edit = entry(2, 'something else', alice, { kind: 'edit', messageId: 'm1', tf: original.tf, version: 1 })
    const tomb = entry(3, '', alice, { kind: 'delete', messageId: 'm1', tf: original.tf })
    const keptContent: ReportEntry = { ...original, deleted: true }
    const ok = verifyTranscript(keyring, [keptContent, { ...edit, deleted: true }, tomb], 'c1')
    expect(ok.entries.map((e) => [e.verified, e.deleted, e.text])).toEqual([[true, true, 'something I received'], [true, true, 'something else'], [true, undefined, '']])
    expect(ok.transcript.verified).toBe(true)
    // Binding only (the window passed), the edit carrying its reference for its tombstone.
    const expired = verifyTranscript(keyring, [{ ...original, text: '', deleted: true }, { ...edit, text: '', deleted: true }, tomb], 'c1')
    expect(expired.entries.map((e) => e.failure)).toEqual([undefined, undefined, undefined])
    // A reporter marking a genuine message deleted without its tombstone.
    expect(verifyTranscript(keyring, [keptContent], 'c1').entries[0]!.failure).toBe('no_tombstone')
    expect(verifyTranscript(keyring, [{ ...original, text: '', deleted: true }], 'c1').entries[0]!.failure).toBe('no_tombstone')
    // A tombstone by another user does not count (and is itself bad_reference).
    const malloryTomb = entry(4, '', mallory, { kind: 'delete', messageId: 'm1', tf: original.tf })
    expect(verifyTranscript(keyring, [keptContent, malloryTomb], 'c1').entries.map((e) => e.failure)).toEqual(['no_tombstone', 'bad_reference'])
    // A tombstone of another message does not count either.
    const other = entry(5, 'other')
    const otherTomb = entry(6, '', alice, { kind: 'delete', messageId: 'm5', tf: other.tf })
    expect(verifyTranscript(keyring, [keptContent, other, otherTomb], 'c1').entries[0]!.failure).toBe('no_tombstone')
    // Content that does not open, marked deleted: bad_opening as before.
    expect(verifyTranscript(keyring, [{ ...keptContent, text: 'made up' }, tomb], 'c1').entries[0]!.failure).toBe('bad_opening')
  })
})
