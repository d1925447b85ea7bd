/**
 * The edge findings of issue 19 at the schema: oversized arrays refused before any item is read
 * (counted through a Proxy, not timed), non-canonical base64 refused in every binary field,
 * repeated prekey ids and NUL in stored text refused as `invalid_frame`.
 */
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  checkClientFrameBounds, CLIENT_FRAME_SCHEMAS, HAS_NUL, InvalidFrameError, MAX_ENVELOPES, MAX_GROUP_ENVELOPES, MAX_PREKEYS_PER_UPLOAD, MAX_RECEIPT_IDS,
  parseClientFrame, PayloadTooLargeError, UNIQUE_IDS, type ClientEventName,
} from '../src/index.js'
import { CLIENT_EXAMPLES, E2EE_SEND, KEM, KEY, SIG } from './fixtures.js'

/** An array of `n` copies of `item` that counts how many of its items are read. */
function countingArray(n: number, item: unknown): { array: unknown[]; reads: () => number } {
  let reads = 0
  const array = new Proxy(new Array(n).fill(item), {
    get(target, key, receiver) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++
      return Reflect.get(target, key, receiver) as unknown
    },
  })
  return { array, reads: () => reads }
}

function refusal(event: ClientEventName, frame: unknown): InvalidFrameError {
  try {
    parseClientFrame(event, frame)
  } catch (e) {
    if (InvalidFrameError.isInstance(e)) return e
    throw e
  }
  throw new Error(`"${event}" frame was accepted`)
}

describe('oversized arrays are refused before any item is validated', () => {
  const cases: [ClientEventName, (a: unknown[]) => unknown, number, unknown][] = [
    ['message.send', (a) => ({ ...E2EE_SEND, envelopes: a }), 330_000, {}],
    ['message.send', (a) => ({ ...E2EE_SEND, envelopes: a }), Math.max(MAX_ENVELOPES, MAX_GROUP_ENVELOPES) + 1, {}],
    ['keys.publish', (a) => ({ kemOneTimePreKeys: a }), 340_000, {}],
    ['keys.publish', (a) => ({ oneTimePreKeys: a }), MAX_PREKEYS_PER_UPLOAD + 1, { id: 1, publicKey: KEY }],
    ['device.register', (a) => ({ ...(CLIENT_EXAMPLES['device.register'] as object), kemOneTimePreKeys: a }), 100_000, {}],
    ['receipt.send', (a) => ({ conversationId: 'c_1', status: 'read', messageIds: a }), 520_000, 0],
    ['receipt.send', (a) => ({ conversationId: 'c_1', status: 'read', messageIds: a }), MAX_RECEIPT_IDS + 1, 'm_1'],
    ['report.submit', (a) => ({ ...(CLIENT_EXAMPLES['report.submit'] as object), entries: a }), 200_000, {}],
  ]
  for (const [event, build, n, item] of cases) {
    it(`${event} with ${n} items: payload_too_large, 0 items read`, () => {
      const { array, reads } = countingArray(n, item)
      const e = refusal(event, build(array))
      expect(e).toBeInstanceOf(PayloadTooLargeError)
      expect(reads()).toBe(0)
      expect(() => checkClientFrameBounds(event, build(array))).toThrow(PayloadTooLargeError)
      expect(reads()).toBe(0)
    })
  }

  it('nested: an oversized array inside an array item is refused the same way', () => {
    const { array, reads } = countingArray(50_000, {})
    const entry = { ...(CLIENT_EXAMPLES['report.submit'] as { entries: object[] }).entries[0], attachments: array }
    const e = refusal('report.submit', { ...(CLIENT_EXAMPLES['report.submit'] as object), entries: [entry] })
    expect(e).toBeInstanceOf(PayloadTooLargeError)
    expect(e.details.issues).toEqual([{ path: 'entries.0.attachments', message: 'exceeds limit 4' }])
    expect(reads()).toBe(0)
  })

  it('every valid example passes the bounds check (it never refuses what the schema accepts)', () => {
    for (const [event, frame] of Object.entries(CLIENT_EXAMPLES)) expect(() => checkClientFrameBounds(event, frame)).not.toThrow()
    expect(() => checkClientFrameBounds('message.send', E2EE_SEND)).not.toThrow()
  })

  it('fast-check: the bounds check refuses only frames the full parse refuses as too large', () => {
    const events = Object.keys(CLIENT_FRAME_SCHEMAS) as ClientEventName[]
    fc.assert(
      fc.property(fc.constantFrom(...events), fc.jsonValue({ maxDepth: 4 }), (event, input) => {
        let bounded = true
        try {
          checkClientFrameBounds(event, input)
        } catch (e) {
          expect(e).toBeInstanceOf(PayloadTooLargeError)
          bounded = false
        }
        if (!bounded) expect(refusal(event, input)).toBeInstanceOf(PayloadTooLargeError)
      }),
      { numRuns: 2_000, seed: 19 },
    )
  })
})

/** `b64` with its last data character moved so padding bits are set (same bytes when decoded leniently). */
function paddingBitsSet(b64: string): string {
  const i = b64.replace(/=+$/, '').length - 1
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  const next = alphabet[alphabet.indexOf(b64[i]!) + 1]!
  return b64.slice(0, i) + next + b64.slice(i + 1)
}

describe('canonical base64 only', () => {
  it('the fixture keys have padding, so the mutation really sets padding bits', () => {
    for (const v of [KEY, SIG, KEM]) {
      const bad = paddingBitsSet(v)
      expect(bad).not.toBe(v)
      expect(Buffer.from(bad, 'base64').toString('base64')).toBe(v) // a lenient decoder reads the same bytes
    }
  })
  const frames: [ClientEventName, string, (bad: (s: string) => string) => unknown][] = [
    ['message.send', 'tf', (m) => ({ ...(CLIENT_EXAMPLES['message.send'] as object), tf: m(KEY) })],
    ['message.send', 'body.nf', (m) => ({ ...(CLIENT_EXAMPLES['message.send'] as { body: object }), body: { ...(CLIENT_EXAMPLES['message.send'] as { body: object }).body, nf: m(KEY) } })],
    ['keys.publish', 'oneTimePreKeys.0.publicKey', (m) => ({ oneTimePreKeys: [{ id: 1, publicKey: m(KEY) }] })],
    ['keys.publish', 'signedPreKey.publicKey', (m) => ({ signedPreKey: { id: 1, publicKey: m(KEY), signature: SIG } })],
    ['keys.publish', 'signedPreKey.signature', (m) => ({ signedPreKey: { id: 1, publicKey: KEY, signature: m(SIG) } })],
    ['keys.publish', 'kemOneTimePreKeys.0.publicKey', (m) => ({ kemOneTimePreKeys: [{ id: 1, publicKey: m(KEM), signature: SIG }] })],
    ['device.register', 'signingKey', (m) => ({ ...(CLIENT_EXAMPLES['device.register'] as object), signingKey: m(KEY) })],
    ['report.submit', 'entries.0.nf', (m) => {
      const r = CLIENT_EXAMPLES['report.submit'] as { entries: object[] }
      return { ...r, entries: [{ ...r.entries[0], nf: m(KEY) }] }
    }],
  ]
  for (const [event, path, build] of frames) {
    it(`${event} ${path}: non-canonical refused, canonical accepted (control)`, () => {
      expect(() => parseClientFrame(event, build((s) => s))).not.toThrow()
      const e = refusal(event, build(paddingBitsSet))
      expect(e).not.toBeInstanceOf(PayloadTooLargeError)
      expect(e.details.issues?.[0]?.path).toBe(path)
    })
  }
})

describe('repeated prekey ids and NUL are invalid frames', () => {
  it('a repeated one-time or KEM one-time prekey id in one upload', () => {
    const one = { id: 7, publicKey: KEY }
    const kem = { id: 7, publicKey: KEM, signature: SIG }
    expect(refusal('keys.publish', { oneTimePreKeys: [one, one] }).details.issues).toEqual([{ path: 'oneTimePreKeys', message: UNIQUE_IDS }])
    expect(refusal('keys.publish', { kemOneTimePreKeys: [kem, { ...kem }] }).details.issues).toEqual([{ path: 'kemOneTimePreKeys', message: UNIQUE_IDS }])
    const reg = CLIENT_EXAMPLES['device.register'] as object
    expect(refusal('device.register', { ...reg, oneTimePreKeys: [one, one] }).details.issues?.[0]?.message).toBe(UNIQUE_IDS)
    // Control: the same id in the two kinds is fine (separate key spaces).
    expect(() => parseClientFrame('keys.publish', { oneTimePreKeys: [one], kemOneTimePreKeys: [kem] })).not.toThrow()
  })
  it('NUL in a report reason or entry text', () => {
    const r = CLIENT_EXAMPLES['report.submit'] as { entries: object[] }
    expect(refusal('report.submit', { ...r, reason: 'sp\u0000am' }).details.issues).toEqual([{ path: 'reason', message: HAS_NUL }])
    expect(refusal('report.submit', { ...r, entries: [{ ...r.entries[0], text: 'a\u0000' }] }).details.issues).toEqual([{ path: 'entries.0.text', message: HAS_NUL }])
    expect(refusal('report.submit', { ...r, reason: 'x\uD800' })).not.toBeInstanceOf(PayloadTooLargeError)
  })
})
