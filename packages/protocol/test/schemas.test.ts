import { describe, expect, it } from 'vitest'
import {
  CLIENT_FRAME_SCHEMAS, InvalidFrameError, NOTICE_KINDS, PayloadTooLargeError, SERVER_FRAME_SCHEMAS, parseClientFrame,
  parseServerFrame, type ClientEventName, type ServerEventName,
} from '../src/index.js'
import { CLIENT_EXAMPLES, E2EE_SEND, SERVER_EXAMPLES } from './fixtures.js'

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T

/** Paths to every leaf of a JSON value. */
function leaves(value: Json, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]))
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value)
    return keys.length === 0 ? [path] : keys.flatMap((k) => leaves(value[k]!, [...path, k]))
  }
  return [path]
}
function setAt(root: Json, path: (string | number)[], v: unknown): Json {
  const copy = clone(root)
  if (path.length === 0) return v as Json
  let cur = copy as Record<string | number, unknown>
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>
  cur[path[path.length - 1]!] = v
  return copy
}
function deleteAt(root: Json, path: (string | number)[]): Json {
  const copy = clone(root)
  let cur = copy as Record<string | number, unknown>
  for (const p of path.slice(0, -1)) cur = cur[p] as Record<string | number, unknown>
  delete cur[path[path.length - 1]!]
  return copy
}
function expectInvalid(fn: () => unknown, cls: typeof InvalidFrameError = InvalidFrameError) {
  let thrown: unknown
  try {
    fn()
  } catch (e) {
    thrown = e
  }
  expect(thrown, 'expected a throw').toBeDefined()
  expect(cls.isInstance(thrown), `expected ${cls.name}, got ${String(thrown)}`).toBe(true)
}

const ENUM_KEYS = new Set(['mode', 'kind', 'status', 'type', 'from', 'to', 'encryption', 'policy', 'previousPolicy', 'state', 'action', 'role'])

/** Five or more malformed variants of a valid frame, all of which must be refused. */
function malformed(valid: Json): { name: string; frame: unknown; tooLarge?: boolean }[] {
  const out: { name: string; frame: unknown; tooLarge?: boolean }[] = [
    { name: 'not an object (number)', frame: 42 },
    { name: 'not an object (string)', frame: 'frame' },
    { name: 'array instead of object', frame: [valid] },
    { name: 'empty array instead of object', frame: [] },
    { name: 'null', frame: null },
    { name: 'extra key', frame: { ...(valid as object), extra: 1 } },
    { name: '__proto__ key', frame: JSON.parse(`{"__proto__":{"polluted":true},${JSON.stringify(valid).slice(1)}`.replace(',}', '}')) },
    { name: 'constructor key', frame: { ...(valid as object), constructor: { prototype: { polluted: true } } } },
  ]
  const paths = leaves(valid).filter((p) => p.length > 0)
  for (const p of paths) {
    const leaf = p.reduce<unknown>((o, k) => (o as Record<string | number, unknown>)[k], valid)
    const wrong = typeof leaf === 'string' ? 12345 : typeof leaf === 'number' ? 'NaN' : typeof leaf === 'boolean' ? 'yes' : 'x'
    out.push({ name: `wrong type at ${p.join('.')}`, frame: setAt(valid, p, wrong) })
    if (typeof leaf === 'string') {
      // Enumerated fields (mode, status, …) refuse any other value as malformed, not as too large.
      const enumerated = ENUM_KEYS.has(String(p[p.length - 1]))
      out.push({ name: `oversized string at ${p.join('.')}`, frame: setAt(valid, p, 'A'.repeat(3_000_000)), tooLarge: !enumerated })
    }
  }
  const top = Object.keys(valid as object)
  for (const k of top) {
    // Optional fields may be absent; only report missing-field cases that the schema requires.
    out.push({ name: `missing ${k}`, frame: deleteAt(valid, [k]) })
  }
  return out
}

function optionalKeys(schema: unknown): Set<string> {
  const s = schema as { entries?: Record<string, { type: string }>; options?: unknown[] }
  const keys = new Set<string>()
  if (s.entries) for (const [k, v] of Object.entries(s.entries)) if (v.type === 'optional') keys.add(k)
  return keys
}

describe('client → server frames', () => {
  const cases = Object.entries(CLIENT_EXAMPLES) as [ClientEventName, Json][]
  it('covers every event', () => {
    expect(Object.keys(CLIENT_EXAMPLES).sort()).toEqual(Object.keys(CLIENT_FRAME_SCHEMAS).sort())
  })
  for (const [event, valid] of cases) {
    describe(event, () => {
      it('accepts the valid example', () => {
        expect(parseClientFrame(event, valid)).toEqual(valid)
      })
      const optional = optionalKeys(CLIENT_FRAME_SCHEMAS[event])
      const bad = malformed(valid).filter((c) => !(c.name.startsWith('missing ') && optional.has(c.name.slice(8))))
      it(`refuses ${bad.length} malformed variants with InvalidFrameError`, () => {
        expect(bad.length).toBeGreaterThanOrEqual(5)
        for (const c of bad) expectInvalid(() => parseClientFrame(event, c.frame), c.tooLarge ? PayloadTooLargeError : InvalidFrameError)
        expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      })
    })
  }
  it('accepts the e2ee variant of message.send and refuses mixing the variants', () => {
    expect(parseClientFrame('message.send', E2EE_SEND)).toEqual(E2EE_SEND)
    expectInvalid(() => parseClientFrame('message.send', { ...E2EE_SEND, mode: 'server-side' }))
    expectInvalid(() => parseClientFrame('message.send', { ...E2EE_SEND, body: (CLIENT_EXAMPLES['message.send'] as { body: unknown }).body }))
    expectInvalid(() => parseClientFrame('message.send', { ...E2EE_SEND, envelopes: [] }))
  })
  it('accepts a sender-key group send with only distribution envelopes, or none; bounds its chain id', () => {
    const senderKey = { keyId: 7, ciphertext: 'AAAA' }
    expect(parseClientFrame('message.send', { ...E2EE_SEND, envelopes: [], senderKey })).toMatchObject({ senderKey, envelopes: [] })
    expect(parseClientFrame('message.send', { ...E2EE_SEND, senderKey })).toMatchObject({ senderKey })
    expectInvalid(() => parseClientFrame('message.send', { ...E2EE_SEND, envelopes: [], senderKey: { ...senderKey, keyId: 2 ** 32 } }))
    expectInvalid(() => parseClientFrame('message.send', { ...E2EE_SEND, envelopes: [], senderKey: { ...senderKey, keyId: -1 } }))
    expectInvalid(() => parseClientFrame('message.send', { ...E2EE_SEND, envelopes: [], senderKey: { ...senderKey, extra: 1 } }))
  })
  it('refuses an unknown event name', () => {
    expectInvalid(() => parseClientFrame('nope' as ClientEventName, {}))
    expectInvalid(() => parseClientFrame('toString' as ClientEventName, {}))
    expectInvalid(() => parseServerFrame('__proto__' as ServerEventName, {}))
  })
  it('refuses ids that are names every object has (__proto__, constructor, prototype), as device, user and conversation ids', () => {
    const hello = CLIENT_EXAMPLES.hello as { deviceId: string }
    const open = CLIENT_EXAMPLES['conversation.open'] as Record<string, Json>
    expect(parseClientFrame('hello', { ...hello, deviceId: 'proto' })).toBeTruthy()
    for (const id of ['__proto__', 'constructor', 'prototype']) {
      expectInvalid(() => parseClientFrame('hello', { ...hello, deviceId: id }))
      const userKey = Object.keys(open).find((k) => typeof open[k] === 'string')!
      expectInvalid(() => parseClientFrame('conversation.open', { ...open, [userKey]: id }))
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
  it('refuses base64 of the wrong length or alphabet', () => {
    const hello = CLIENT_EXAMPLES['keys.fetch']
    expect(parseClientFrame('keys.fetch', hello)).toBeTruthy()
    const ex = CLIENT_EXAMPLES['link.lookup'] as { codeHash: string }
    expectInvalid(() => parseClientFrame('link.lookup', { codeHash: ex.codeHash.slice(4) }))
    expectInvalid(() => parseClientFrame('link.lookup', { codeHash: ex.codeHash.replace(/.$/, '!') }))
  })
  it('reports oversized frames as PayloadTooLargeError, a kind of InvalidFrameError', () => {
    const send = clone(CLIENT_EXAMPLES['message.send']) as { body: { text: string } }
    send.body.text = 'x'.repeat(8_001)
    expectInvalid(() => parseClientFrame('message.send', send), PayloadTooLargeError)
    send.body.text = 'x'.repeat(8_000)
    expect(() => parseClientFrame('message.send', send)).not.toThrow()
  })
  it('never echoes the offending value in the error', () => {
    const send = clone(CLIENT_EXAMPLES['message.send']) as { body: { text: unknown } }
    send.body.text = { secret: 'top-secret-plaintext' }
    try {
      parseClientFrame('message.send', send)
      expect.unreachable()
    } catch (e) {
      expect(JSON.stringify((e as InvalidFrameError).toWire())).not.toContain('top-secret-plaintext')
    }
  })
})

describe('server → client frames', () => {
  const cases = Object.entries(SERVER_EXAMPLES) as [ServerEventName, Json][]
  it('covers every event', () => {
    expect(Object.keys(SERVER_EXAMPLES).sort()).toEqual(Object.keys(SERVER_FRAME_SCHEMAS).sort())
  })
  for (const [event, valid] of cases) {
    describe(event, () => {
      it('accepts the valid example', () => {
        expect(parseServerFrame(event, valid)).toEqual(valid)
      })
      const optional = optionalKeys(SERVER_FRAME_SCHEMAS[event])
      const bad = malformed(valid).filter((c) => !(c.name.startsWith('missing ') && optional.has(c.name.slice(8))))
        // `error.details` and capability tables are open records of strings.
        .filter((c) => !(event === 'error' && c.name.includes('details')))
      it(`refuses ${bad.length} malformed variants with InvalidFrameError`, () => {
        expect(bad.length).toBeGreaterThanOrEqual(5)
        for (const c of bad) {
          if (event === 'manifest' && c.name.includes('capabilities') && c.name.startsWith('oversized')) continue
          expectInvalid(() => parseServerFrame(event, c.frame))
        }
      })
    })
  }
})

describe('notice: a closed catalogue of codes, no prose', () => {
  const valid = {
    mode_changed: { kind: 'mode_changed', conversationId: 'c_1', encryption: 'e2ee', by: 'alice', ts: 1 },
    policy_changed: { kind: 'policy_changed', conversationId: 'c_1', policy: 'server-side', previousPolicy: 'default-e2ee', encryption: 'e2ee', ts: 1 },
    upgrade_required: { kind: 'upgrade_required', conversationId: 'c_1', policy: 'default-e2ee', previousPolicy: 'optional-e2ee', encryption: 'server-side', ts: 1 },
    device_added: { kind: 'device_added', userId: 'bob', ts: 1 },
    identity_changed: { kind: 'identity_changed', conversationId: 'c_1', userId: 'bob', ts: 1 },
    conversation_closed: { kind: 'conversation_closed', conversationId: 'c_1', ts: 1 },
    message_removed: { kind: 'message_removed', conversationId: 'c_1', messageId: 'm_1', ts: 1 },
  } satisfies Record<(typeof NOTICE_KINDS)[number], Json>

  it('has one valid example per kind', () => {
    expect(Object.keys(valid).sort()).toEqual([...NOTICE_KINDS].sort())
    for (const frame of Object.values(valid)) expect(parseServerFrame('notice', frame)).toEqual(frame)
  })
  it('refuses free-form text on every kind (the version-1 field)', () => {
    for (const frame of Object.values(valid)) expectInvalid(() => parseServerFrame('notice', { ...frame, text: 'Your account is locked, log in at https://evil.example' }))
  })
  it('refuses a kind outside the catalogue and fields of another kind', () => {
    expectInvalid(() => parseServerFrame('notice', { ...valid.device_added, kind: 'account_locked' }))
    expectInvalid(() => parseServerFrame('notice', { ...valid.mode_changed, userId: 'bob' }))
    expectInvalid(() => parseServerFrame('notice', { ...valid.upgrade_required, encryption: 'e2ee' }))
  })
  it('requires the fields a client renders', () => {
    const { by: _by, ...noBy } = valid.mode_changed
    expectInvalid(() => parseServerFrame('notice', noBy))
    const { previousPolicy: _p, ...noPrevious } = valid.policy_changed
    expectInvalid(() => parseServerFrame('notice', noPrevious))
  })
  it('takes user ids only as user ids (printable ASCII, no spaces, bounded)', () => {
    expectInvalid(() => parseServerFrame('notice', { ...valid.mode_changed, by: 'Your account is locked' }))
    expectInvalid(() => parseServerFrame('notice', { ...valid.device_added, userId: 'x'.repeat(129) }), PayloadTooLargeError)
  })
})
