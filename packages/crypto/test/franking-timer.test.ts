/**
 * The disappearing timer in franked content (decision 0023): appended after the (optional)
 * reference as a labelled field, only when present — a message without a timer encodes
 * exactly as before (so every existing vector holds), the timer is bound (a changed, stripped
 * or added timer does not open), and it survives a report's verification.
 */
import { describe, expect, it } from 'vitest'
import type { ReportEntry } from '@parley/protocol'
import { bindFranking, checkFranking, frankingBytes, frankMessage, generateFrankingKey, seededRandom, verifyReportedMessage, type FrankingKeyring } from '../src/index.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('franking: the disappearing timer', () => {
  it('a message without a timer encodes as before; with one, the label and a u64 are appended', () => {
    const msg = { text: 'hi', attachments: [] }
    expect(hex(frankingBytes({ ...msg, timer: undefined }))).toBe(hex(frankingBytes(msg)))
    const timed = frankingBytes({ ...msg, timer: 60_000 })
    const plain = frankingBytes(msg)
    expect(hex(timed.subarray(0, plain.length))).toBe(hex(plain))
    // lp('timer') = u32be(5) ‖ "timer", then u64be(60000).
    expect(hex(timed.subarray(plain.length))).toBe(`00000005${Buffer.from('timer').toString('hex')}000000000000ea60`)
    // With a reference, the timer follows it: never read as part of the reference.
    const ref = { kind: 'reply' as const, messageId: 'm1' }
    expect(hex(frankingBytes({ ...msg, ref, timer: 60_000 }))).toBe(hex(frankingBytes({ ...msg, ref })) + hex(timed.subarray(plain.length)))
  })

  it('binds the timer: changed, stripped or added, it does not open', () => {
    const msg = { text: 'ephemeral', attachments: [], timer: 86_400_000 }
    const { nf, tf } = frankMessage(msg)
    expect(checkFranking(msg, nf, tf)).toBe(true)
    expect(checkFranking({ ...msg, timer: 1_000 }, nf, tf)).toBe(false)
    expect(checkFranking({ text: msg.text, attachments: [] }, nf, tf)).toBe(false)
    const untimed = frankMessage({ text: 'kept', attachments: [] })
    expect(checkFranking({ text: 'kept', attachments: [], timer: 1_000 }, untimed.nf, untimed.tf)).toBe(false)
    expect(() => frankingBytes({ ...msg, timer: -1 })).toThrow(RangeError)
    expect(() => frankingBytes({ ...msg, timer: 1.5 })).toThrow(RangeError)
  })

  it('a reported message with a timer verifies only with it', () => {
    const random = seededRandom(new Uint8Array(32).fill(7))
    const keyring: FrankingKeyring = { currentKid: 'k1', keys: { k1: generateFrankingKey(random) } }
    const msg = { text: 'reported', attachments: [], timer: 60_000 }
    const { nf, tf } = frankMessage(msg, random)
    const sender = { userId: 'alice', deviceId: 'a1' }
    const { rf, kid } = bindFranking(keyring, { tf, sender, conversationId: 'c', seq: 1, ts: 5 })
    const e: ReportEntry = { messageId: 'm1', conversationId: 'c', seq: 1, ts: 5, sender, ...msg, nf, tf, rf, kid }
    expect(verifyReportedMessage(keyring, e)).toEqual({ verified: true })
    const { timer: _t, ...without } = e
    expect(verifyReportedMessage(keyring, without)).toEqual({ verified: false, failure: 'bad_opening' })
  })
})
