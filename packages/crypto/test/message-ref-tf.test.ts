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
    // Binding only (the window passed): the original verifies by its tombstone; an edit without
    // its content proves no reference, so one that still carries it is refused (clients leave
    // such edits out of reports).
    const expired = verifyTranscript(keyring, [{ ...original, text: '', deleted: true }, tomb], 'c1')
    expect(expired.entries.map((e) => e.failure)).toEqual([undefined, undefined])
    const expiredEdit = verifyTranscript(keyring, [{ ...original, text: '', deleted: true }, { ...edit, text: '', deleted: true }, tomb], 'c1')
    expect(expiredEdit.entries.map((e) => e.failure)).toEqual([undefined, 'bad_opening', undefined])
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

  it('a reporter cannot pass a genuine message off as deleted with a reference of their own (binding-only entries carry none)', () => {
    const y = entry(1, 'never deleted')
    // Attack 1: the entry names itself as its own tombstone.
    const selfTomb: ReportEntry = { ...y, text: '', deleted: true, ref: { kind: 'delete', messageId: y.messageId, tf: y.tf } }
    const r1 = verifyTranscript(keyring, [selfTomb], 'c1')
    expect(r1.entries[0]!.failure).toBe('bad_opening')
    expect(r1.transcript.verified).toBe(false)
    // Attack 2: a genuine message passed off as an edit of a genuinely deleted one.
    const o = entry(2, 'deleted for real')
    const tomb = entry(3, '', alice, { kind: 'delete', messageId: o.messageId, tf: o.tf })
    const y2 = entry(4, 'a later, undeleted message')
    const asEdit: ReportEntry = { ...y2, text: '', deleted: true, ref: { kind: 'edit', messageId: o.messageId, tf: o.tf, version: 1 } }
    const r2 = verifyTranscript(keyring, [{ ...o, text: '', deleted: true }, tomb, asEdit], 'c1')
    expect(r2.entries.map((e) => e.failure)).toEqual([undefined, undefined, 'bad_opening'])
    // Control: without the invented reference the same entry is no_tombstone; with its content, verified.
    expect(verifyTranscript(keyring, [{ ...y2, text: '', deleted: true }], 'c1').entries[0]!.failure).toBe('no_tombstone')
    expect(verifyTranscript(keyring, [y2], 'c1').entries[0]!.failure).toBeUndefined()
  })

  it('a later copy of a message (its opening re-sent by another member) does not take over its edits and tombstone', () => {
    const m = entry(1, 'original by alice')
    const edit = entry(2, 'abusive edit', alice, { kind: 'edit', messageId: m.messageId, tf: m.tf, version: 1 })
    const tomb = entry(3, '', alice, { kind: 'delete', messageId: m.messageId, tf: m.tf })
    // mallory's second account re-sends alice's opening: same tf, later seq, its own binding.
    const copy: ReportEntry = { ...m, messageId: 'm4', seq: 4, sender: mallory, ...bindFranking(keyring, { tf: m.tf, sender: mallory, conversationId: 'c1', seq: 4, ts: 4 }), ts: 4 }
    const withCopy = verifyTranscript(keyring, [{ ...m, deleted: true }, { ...edit, deleted: true }, tomb, copy], 'c1')
    expect(withCopy.entries.map((e) => e.failure)).toEqual([undefined, undefined, undefined, undefined])
    // A reference must point backwards: an edit that names a later entry's commitment resolves to nothing.
    const later = entry(6, 'later')
    const early = entry(5, 'x', mallory, { kind: 'edit', messageId: 'm6', tf: later.tf, version: 1 })
    expect(verifyTranscript(keyring, [early, later], 'c1').entries.map((e) => e.failure)).toEqual([undefined, undefined])
  })
})
