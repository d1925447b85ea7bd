import { describe, expect, it } from 'vitest'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import type { ReportEntry } from '@parley/protocol'
import {
  bindFranking, checkFranking, frankMessage, generateFrankingKey, seededRandom, sha256Base64, verifyReportedMessage, verifyTranscript,
  type FrankingKeyring,
} from '../src/index.js'

const random = seededRandom(new Uint8Array(32).fill(3))
const keyring: FrankingKeyring = { currentKid: 'k2', keys: { k1: generateFrankingKey(random), k2: generateFrankingKey(random) } }
const sender = { userId: 'alice', deviceId: 'a1' }
const attachment = { name: 'cat.png', mime: 'image/png', size: 3, sha256: sha256Base64(new Uint8Array([1, 2, 3])) }

function entry(seq: number, text = `message ${seq}`): ReportEntry {
  const msg = { text, attachments: seq % 2 ? [attachment] : [] }
  const { nf, tf } = frankMessage(msg, random)
  const ts = 1_700_000_000_000 + seq
  const { rf, kid } = bindFranking(keyring, { tf, sender, conversationId: 'conv-1', seq, ts })
  return { messageId: `m${seq}`, conversationId: 'conv-1', seq, ts, sender, ...msg, nf, tf, rf, kid }
}
const transcript = [1, 2, 3, 4, 5].map((s) => entry(s))

describe('franking', () => {
  it('commits to text and attachments', () => {
    const msg = { text: 'hi', attachments: [attachment] }
    const { nf, tf } = frankMessage(msg)
    expect(checkFranking(msg, nf, tf)).toBe(true)
    expect(checkFranking({ ...msg, text: 'hI' }, nf, tf)).toBe(false)
    expect(checkFranking({ ...msg, attachments: [{ ...attachment, sha256: sha256Base64(new Uint8Array([9])) }] }, nf, tf)).toBe(false)
    expect(checkFranking(msg, 'not base64', tf)).toBe(false)
  })

  it('verifies an honest report and fails each kind of alteration', () => {
    const e = transcript[0]!
    expect(verifyReportedMessage(keyring, e)).toEqual({ verified: true })
    const fail = (x: ReportEntry) => verifyReportedMessage(keyring, x)
    expect(fail({ ...e, text: 'altered' })).toEqual({ verified: false, failure: 'bad_opening' })
    expect(fail({ ...e, nf: transcript[1]!.nf })).toEqual({ verified: false, failure: 'bad_opening' })
    expect(fail({ ...e, conversationId: 'conv-2' })).toEqual({ verified: false, failure: 'bad_binding' })
    expect(fail({ ...e, sender: { userId: 'mallory', deviceId: 'a1' } })).toEqual({ verified: false, failure: 'bad_binding' })
    expect(fail({ ...e, seq: 9 })).toEqual({ verified: false, failure: 'bad_binding' })
    expect(fail({ ...e, ts: e.ts + 1 })).toEqual({ verified: false, failure: 'bad_binding' })
    expect(fail({ ...e, kid: 'k9' })).toEqual({ verified: false, failure: 'unknown_key' })
    expect(fail({ ...e, kid: 'k1' })).toEqual({ verified: false, failure: 'bad_binding' })
  })

  it('keeps verifying after rotation (old kid stays in the keyring)', () => {
    const old = { ...keyring, currentKid: 'k1' }
    const msg = { text: 'old', attachments: [] }
    const { nf, tf } = frankMessage(msg)
    const { rf, kid } = bindFranking(old, { tf, sender, conversationId: 'c', seq: 1, ts: 2 })
    expect(verifyReportedMessage(keyring, { messageId: 'x', conversationId: 'c', seq: 1, ts: 2, sender, ...msg, nf, tf, rf, kid })).toEqual({ verified: true })
  })

  it('verifies a transcript and names a removed middle message as a gap', () => {
    expect(verifyTranscript(keyring, transcript, 'conv-1').transcript).toEqual({ verified: true, ordered: true, gaps: [] })
    const holed = [transcript[0]!, transcript[1]!, transcript[3]!, transcript[4]!]
    expect(verifyTranscript(keyring, holed, 'conv-1').transcript).toEqual({ verified: false, ordered: true, gaps: [3] })
    const swapped = [transcript[1]!, transcript[0]!]
    expect(verifyTranscript(keyring, swapped, 'conv-1').transcript.ordered).toBe(false)
    const r = verifyTranscript(keyring, [transcript[0]!, transcript[0]!], 'conv-1')
    expect(r.entries[1]).toMatchObject({ verified: false, failure: 'duplicate_entry' })
    expect(verifyTranscript(keyring, transcript, 'conv-2').entries.every((e) => e.failure === 'wrong_conversation')).toBe(true)
  })

  it('rejects 10,000 random one-byte mutations of a 5-message transcript', () => {
    const rnd = seededRandom(new Uint8Array(32).fill(11))
    const pick = (n: number) => (rnd(4).reduce((a, b) => a * 256 + b, 0) >>> 0) % n
    // Every field the franking proves (messageId is a server label, not authenticated; seq is).
    const fields = ['text', 'nf', 'tf', 'rf', 'kid', 'conversationId', 'sender.userId', 'sender.deviceId', 'seq', 'ts', 'att.name', 'att.mime', 'att.size', 'att.sha256'] as const
    for (let i = 0; i < 10_000; i++) {
      const entries = structuredClone(transcript)
      const idx = pick(5)
      let e = entries[idx]!
      let field: string = fields[pick(fields.length)]!
      if (field.startsWith('att.') && e.attachments.length === 0) e = entries[(idx + 1) % 2 === 0 ? 1 : 0]! // entry with an attachment
      if (field.startsWith('att.') && e.attachments.length === 0) field = 'text'
      const mutateString = (s: string) => {
        const at = pick(Math.max(s.length, 1))
        const code = s.length ? s.charCodeAt(at) : 65
        const next = String.fromCharCode(code ^ (1 + pick(127)))
        return s.slice(0, at) + next + s.slice(at + 1)
      }
      const mutateNumber = (n: number) => {
        const delta = (1 + pick(255)) * 256 ** pick(2)
        return n >= delta && pick(2) ? n - delta : n + delta
      }
      switch (field) {
        case 'sender.userId': e.sender = { ...e.sender, userId: mutateString(e.sender.userId) }; break
        case 'sender.deviceId': e.sender = { ...e.sender, deviceId: mutateString(e.sender.deviceId) }; break
        case 'seq': e.seq = mutateNumber(e.seq); break
        case 'ts': e.ts = mutateNumber(e.ts); break
        case 'att.size': e.attachments[0]!.size = mutateNumber(e.attachments[0]!.size); break
        case 'att.name': case 'att.mime': case 'att.sha256': {
          const k = field.slice(4) as 'name' | 'mime' | 'sha256'
          e.attachments[0]![k] = mutateString(e.attachments[0]![k]); break
        }
        default: {
          const k = field as 'text' | 'nf' | 'tf' | 'rf' | 'kid' | 'conversationId'
          e[k] = mutateString(e[k])
        }
      }
      const r = verifyTranscript(keyring, entries, 'conv-1')
      if (r.transcript.verified) throw new RangeError(`mutation ${i} of ${field} in entry ${idx} was accepted`)
    }
  })
})

/** The binding HMAC computed independently, from the documented layout. */
const reference = (key: Uint8Array, tf: string, s: { userId: string; deviceId: string }, conversationId: string, seq: number, ts: number) => {
  const enc = new TextEncoder()
  const lpOf = (t: string) => {
    const b = enc.encode(t)
    const out = new Uint8Array(4 + b.length)
    new DataView(out.buffer).setUint32(0, b.length)
    out.set(b, 4)
    return out
  }
  const u64 = (n: number) => {
    const out = new Uint8Array(8)
    new DataView(out.buffer).setBigUint64(0, BigInt(n))
    return out
  }
  const mac = hmac.create(sha256, key)
  for (const p of [enc.encode('Parley_Franking_Bind_v1'), Uint8Array.from(Buffer.from(tf, 'base64')), lpOf(s.userId), lpOf(s.deviceId), lpOf(conversationId), u64(seq), u64(ts)]) mac.update(p)
  return Buffer.from(mac.digest()).toString('base64')
}

describe('franking binding input', () => {
  // bindFranking writes its HMAC input into a reused buffer, falling back to concatenation for
  // ids too long for it; both must give the bytes of the documented layout.
  it.each([
    ['short ASCII ids', 'alice', 'a1', 'conv-1'],
    ['non-ASCII ids', 'zoë-😀', 'gerät', 'c_ünï'],
    ['ids too long for the buffer', 'u'.repeat(700), 'd'.repeat(300), 'c'.repeat(400)],
  ])('%s: the same bytes as the documented layout', (_, userId, deviceId, conversationId) => {
    const { tf } = frankMessage({ text: 'hi', attachments: [] }, random)
    const seq = 2 ** 40 + 7
    const ts = 1_700_000_000_123
    const { rf } = bindFranking(keyring, { tf, sender: { userId, deviceId }, conversationId, seq, ts })
    expect(rf).toBe(reference(keyring.keys.k2!, tf, { userId, deviceId }, conversationId, seq, ts))
  })
})

describe('franking tag decoding', () => {
  it('binds exactly what the general decoder reads, and refuses what it refuses', () => {
    // Random tags (every final symbol the pattern allows), and malformed ones.
    for (let i = 0; i < 300; i++) {
      const tf = Buffer.from(Uint8Array.from({ length: 32 }, (_, j) => (i * 31 + j * 17 + (i >> 3)) & 0xff)).toString('base64')
      const args = { tf, sender, conversationId: 'conv-1', seq: 1, ts: 2 }
      expect(bindFranking(keyring, args).rf).toBe(reference(keyring.keys.k2!, tf, sender, 'conv-1', 1, 2))
    }
    const good = Buffer.alloc(32, 7).toString('base64')
    for (const bad of [good.slice(0, -2) + 'B=', good.slice(0, -1), `${good}=`, good.replace(/=$/, ''), Buffer.alloc(31).toString('base64'), `${good.slice(0, 10)}*${good.slice(11)}`]) {
      expect(() => bindFranking(keyring, { tf: bad, sender, conversationId: 'c', seq: 1, ts: 1 })).toThrow()
    }
  })
})
