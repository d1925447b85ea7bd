/**
 * The hostile client's frames, as fast-check arbitraries (seeded, so a run is reproduced by its
 * seed): for every client event, a valid frame built against the live world, and from it
 * random, mutated and oversized frames. Kinds:
 * - `valid`: a frame the server may accept (ids and texts drawn by fast-check);
 * - `random`: arbitrary JSON (or bytes) for any event, unknown and prototype-named events too;
 * - `mutant`: a valid frame with one part replaced by a hostile value (non-canonical base64, NUL,
 *   lone surrogates, huge numbers, wrong types, prototype keys, repeated items), deleted or
 *   joined by an extra key;
 * - `oversized`: a valid frame with one array or string blown past its limit (up to the
 *   330,000 items of issue 19) or an array filled to a schema maximum with bad items, every
 *   frame below the wire limit `MAX_FRAME_BYTES`.
 */
import fc from 'fast-check'
import {
  CLIENT_FRAME_SCHEMAS, MAX_FRAME_BYTES, MAX_GROUP_ENVELOPES, MAX_GROUP_MEMBERS, MAX_PREKEYS_PER_UPLOAD, MAX_SYNC_LIMIT, type ClientEventName,
} from '@parley/protocol'
import { frankMessage, signModeChange, signDisappearing, signRosterRecord, type DeviceIdentity } from '@parley/crypto'
import type { TestUser } from '../../../server/test/helpers/device.js'

/** What the hostile client knows of the world it attacks. */
export interface EdgeWorld {
  mallory: TestUser
  device: DeviceIdentity
  honestUserId: string
  conversationId: string
  messageIds: string[]
  /** A valid `keys.publish` with signed keys (ids vary per frame). */
  publish: { oneTimePreKeys: { id: number; publicKey: string }[]; kemOneTimePreKeys: { id: number; publicKey: string; signature: string }[] }
  register: unknown
  e2ee: boolean
}

export type FrameKind = 'valid' | 'random' | 'mutant' | 'oversized'

export interface EdgeFrame {
  kind: FrameKind
  event: string
  frame: unknown
  /** Sent on a connection that never said hello (the rest go on mallory's registered device). */
  fresh: boolean
}

export const EVENTS = Object.keys(CLIENT_FRAME_SCHEMAS) as ClientEventName[]
/** Event names that are not Parley's; socket.io's reserved names cannot be emitted by a client at all. */
const UNKNOWN_EVENTS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'message.send ', 'MESSAGE.SEND', 'x'.repeat(100), '']

const KEY = Buffer.alloc(32, 7).toString('base64')
const SIG = Buffer.alloc(64, 9).toString('base64')

/** `b64` with the character before its padding moved up one: padding bits set, same bytes to a lenient decoder. */
export function paddingBitsSet(b64: string): string {
  const i = b64.replace(/=+$/, '').length - 1
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'
  return b64.slice(0, i) + alphabet[(alphabet.indexOf(b64[i]!) + 1) % 64]! + b64.slice(i + 1)
}

const idArb = fc.stringMatching(/^[a-z0-9]{1,12}$/)

/** A valid frame of `event` (some the server accepts, some it refuses for state: all well-formed). */
function validFrame(w: EdgeWorld, event: ClientEventName): fc.Arbitrary<unknown> {
  const c = w.conversationId
  const msgId = fc.constantFrom(...w.messageIds)
  switch (event) {
    case 'hello': return fc.constant({ versions: [2], deviceId: w.device.deviceId })
    case 'hello.challenge': return fc.constant({})
    case 'device.register': return fc.constant(w.register)
    case 'keys.publish': return fc.tuple(fc.nat(1_000), fc.integer({ min: 0, max: 3 })).map(([id, n]) => ({
      oneTimePreKeys: w.publish.oneTimePreKeys.slice(0, n).map((k, i) => ({ ...k, id: id + i })),
      kemOneTimePreKeys: w.publish.kemOneTimePreKeys.slice(0, n),
    }))
    case 'devicelist.publish': return fc.constant({ deviceList: w.mallory.list })
    case 'keys.fetch': return fc.constantFrom({ userId: w.honestUserId }, { userId: w.mallory.userId })
    case 'conversation.open': return fc.constant({ peerUserId: w.honestUserId })
    case 'conversation.list': return fc.constant({})
    case 'mode.upgrade': return fc.constant({ modeChange: signModeChange(w.device, { conversationId: c, from: 'server-side', to: 'e2ee', userId: w.mallory.userId, deviceId: w.device.deviceId, ts: 1_700_000_000_000 }) })
    case 'conversation.disappearing': return fc.tuple(fc.integer({ min: 1_000, max: 86_400_000 }), fc.integer({ min: 1, max: 3 })).map(([ms, version]) => ({
      setting: signDisappearing(w.device, { conversationId: c, ms, version, userId: w.mallory.userId, deviceId: w.device.deviceId, ts: 1_700_000_000_000 }),
    }))
    case 'message.send': return fc.tuple(idArb, fc.string({ maxLength: 40 })).map(([cm, text]) => {
      const { tf, nf } = frankMessage({ text, attachments: [] })
      return w.e2ee
        ? { conversationId: c, clientMessageId: `cm-${cm}`, tf, mode: 'e2ee', envelopes: [{ userId: w.honestUserId, deviceId: 'd1', type: 'message', ciphertext: KEY }], attachments: [] }
        : { conversationId: c, clientMessageId: `cm-${cm}`, tf, mode: 'server-side', body: { text, attachments: [], nf } }
    })
    case 'message.delete': return msgId.map((messageId) => ({ conversationId: c, messageId }))
    case 'inbox.ack': return fc.nat(50).map((upTo) => ({ upTo }))
    case 'inbox.sync': return fc.nat(50).map((after) => ({ after, limit: 10 }))
    case 'receipt.send': return msgId.map((id) => ({ conversationId: c, messageIds: [id], status: 'read' }))
    case 'typing.send': return fc.boolean().map((typing) => ({ conversationId: c, typing }))
    case 'history.fetch': return fc.integer({ min: 1, max: 20 }).map((limit) => ({ conversationId: c, limit }))
    case 'report.submit': return fc.tuple(idArb, msgId).map(([r, messageId]) => ({
      reportId: `r-${r}`, conversationId: c, reason: 'spam',
      entries: [{ messageId, conversationId: c, seq: 1, ts: 1, sender: { userId: w.honestUserId, deviceId: 'd1' }, text: 'hi', attachments: [], nf: KEY, tf: KEY, rf: KEY, kid: 'fk' }],
    }))
    case 'link.request': return fc.constant({ codeHash: KEY, deviceId: w.device.deviceId, ephemeralKey: KEY })
    case 'link.lookup': return fc.constant({ codeHash: KEY })
    case 'link.complete': return fc.constant({ codeHash: KEY, ephemeralKey: KEY, ciphertext: SIG })
    case 'block.add':
    case 'block.remove': return fc.constantFrom({ userId: w.honestUserId }, { userId: 'nobody' })
    case 'block.list': return fc.constant({ limit: 10 })
    case 'mute.set': return fc.boolean().map((muted) => ({ conversationId: c, muted }))
    case 'mute.list': return fc.constant({})
    case 'request.list': return fc.constant({})
    case 'request.accept':
    case 'request.decline': return fc.constant({ conversationId: c })
    case 'devicelist.fetch': return fc.constantFrom({ userIds: [w.honestUserId] }, { userIds: [w.mallory.userId, w.honestUserId] })
    case 'conversation.create': return fc.tuple(idArb, fc.stringMatching(/^[a-z ]{0,20}$/)).map(([g, title]) => ({
      record: signRosterRecord(w.device, {
        conversationId: `g-${g}`, version: 1, prev: KEY, userId: w.mallory.userId, deviceId: w.device.deviceId, ts: 1_700_000_000_000,
        change: { action: 'create', members: [{ userId: w.mallory.userId, role: 'admin' }, { userId: w.honestUserId, role: 'member' }], title },
      }),
    }))
    case 'roster.append': return fc.nat(5).map((n) => ({
      record: signRosterRecord(w.device, {
        conversationId: c, version: n + 2, prev: KEY, userId: w.mallory.userId, deviceId: w.device.deviceId, ts: 1_700_000_000_000,
        change: { action: 'title', title: 'renamed' },
      }),
    }))
    case 'roster.fetch': return fc.nat(5).map((after) => ({ conversationId: c, after, limit: 10 }))
    // Uploads that never finish (chunk 0 of 2): the backup is never replaced by the fuzzer.
    case 'blob.put': return fc.tuple(idArb, fc.constantFrom('backup', 'transfer.fuzzfuzzfuzzfuzzfuzzfu')).map(([u, slot]) => ({ slot, upload: `u-${u}`, index: 0, count: 2, data: KEY }))
    case 'blob.get': return fc.nat(3).map((index) => ({ slot: 'backup', index }))
    case 'blob.delete': return fc.constant({ slot: 'transfer.fuzzfuzzfuzzfuzzfuzzfu' })
    // Push registrations are stored, never contacted (the edge server has no onOfflineDelivery).
    case 'push.register': return fc.tuple(idArb, idArb).map(([id, path]) => ({
      registration: { kind: 'web-push', id: `p-${id}`, subscription: { endpoint: `https://push.example/${path}`, keys: { p256dh: `B${'A'.repeat(86)}`, auth: 'A'.repeat(22) } } },
    }))
    case 'push.unregister': return idArb.map((id) => ({ id: `p-${id}` }))
  }
}

/** Values a hostile client puts where a valid one belongs. */
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  fc.constantFrom<unknown>(
    '', '\u0000', 'a\u0000b', '\uD800', 'x\uDFFFy', -1, 2 ** 53, Number.MAX_VALUE, 1.5, true, null, [], {}, '__proto__', 'constructor',
    paddingBitsSet(KEY), paddingBitsSet(SIG), `${KEY}A`, KEY.replace(/=$/, ''), ' '.repeat(44), JSON.parse('{"__proto__":{"polluted":1}}'),
    { toString: 'x', valueOf: 1 }, [[[[[[[[[[[]]]]]]]]]]],
  ),
  fc.integer({ min: 65, max: 20_000 }).map((n) => 'y'.repeat(n)),
)

/** Every path to a value inside `v` (objects and arrays, depth ≤ 4). */
function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (prefix.length >= 4 || v === null || typeof v !== 'object') return out
  for (const [k, child] of Object.entries(v)) {
    const p = [...prefix, Array.isArray(v) ? Number(k) : k]
    out.push(p)
    paths(child, p, out)
  }
  return out
}

function setAt(root: unknown, path: (string | number)[], fn: (parent: Record<string | number, unknown>, key: string | number) => void): unknown {
  const copy = structuredClone(root) as Record<string | number, unknown>
  let node = copy
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>
  fn(node, path[path.length - 1]!)
  return copy
}

function mutant(w: EdgeWorld, event: ClientEventName): fc.Arbitrary<unknown> {
  return fc.tuple(validFrame(w, event), fc.nat(), fc.nat(5), hostileValue, fc.string({ maxLength: 10 })).map(([base, pick, op, value, extra]) => {
    const all = paths(base)
    if (!all.length || op === 5) return Array.isArray(base) ? base : [base, value][pick % 2]
    const path = all[pick % all.length]!
    switch (op) {
      case 0:
      case 1: return setAt(base, path, (p, k) => void (p[k] = value))
      case 2: return setAt(base, path, (p, k) => void (Array.isArray(p) ? p.splice(Number(k), 1) : delete p[k]))
      case 3: return setAt(base, path, (p) => void (Array.isArray(p) ? p.push(p[0]) : (p[`${extra}_`] = value)))
      default: return setAt(base, path, (p, k) => void (p[k] = typeof p[k] === 'string' ? paddingBitsSet(p[k] as string) : [p[k], p[k]]))
    }
  })
}

/** Items of a blown-up array: the three of issue 19 and a valid-looking id. */
const bigItem = fc.constantFrom<unknown>({}, 0, 'm', null)

function oversized(w: EdgeWorld, event: ClientEventName): fc.Arbitrary<unknown> {
  // Mostly just past a limit; one in six as large as issue 19's (up to 330,000 items); one in
  // six exactly an array maximum of bad items (past the bounds check, so every item is validated).
  const size = fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 1, max: 2_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 100_000, max: 330_000 }) },
    { weight: 1, arbitrary: fc.constantFrom(MAX_PREKEYS_PER_UPLOAD, MAX_SYNC_LIMIT, MAX_GROUP_MEMBERS, MAX_GROUP_ENVELOPES) },
  )
  return fc.tuple(validFrame(w, event), fc.nat(), size, bigItem).map(([base, pick, n, item]) => {
    const grow = paths(base).filter((p) => {
      let v: unknown = base
      for (const k of p) v = (v as Record<string | number, unknown>)[k]
      return Array.isArray(v) || typeof v === 'string'
    })
    if (!grow.length) return { ...(base as object), pad: Array(n).fill(item) }
    return setAt(base, grow[pick % grow.length]!, (p, k) => {
      p[k] = typeof p[k] === 'string' ? 'A'.repeat(Math.min(n * 4, MAX_FRAME_BYTES / 2)) : Array(n).fill(item)
    })
  })
}

const randomFrame: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'mode', 'userId'), fc.jsonValue({ maxDepth: 1 })) },
)

/** One hostile frame. Weights: valid 20 (0 when `valid` is false), random 25, mutant 52, oversized 3. */
export function edgeFrame(w: EdgeWorld, valid = true): fc.Arbitrary<EdgeFrame> {
  const event = fc.constantFrom(...EVENTS)
  const perEvent = (build: (e: ClientEventName) => fc.Arbitrary<unknown>, kind: FrameKind) =>
    event.chain((e) => build(e).map((frame) => ({ kind, event: e as string, frame })))
  const body = fc.oneof(
    ...(valid ? [{ weight: 20, arbitrary: perEvent((e) => validFrame(w, e), 'valid') }] : []),
    { weight: 25, arbitrary: fc.tuple(fc.oneof({ weight: 9, arbitrary: event.map(String) }, { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_EVENTS) }), randomFrame).map(([e, frame]) => ({ kind: 'random' as const, event: e, frame })) },
    { weight: 52, arbitrary: perEvent((e) => mutant(w, e), 'mutant') },
    { weight: 3, arbitrary: perEvent((e) => oversized(w, e), 'oversized') },
  )
  return fc.tuple(body, fc.nat(99)).map(([f, r]) => ({ ...f, fresh: r < 12 }))
}

/**
 * `count` frames from `seed`, generated lazily in chunks (an oversized frame is megabytes);
 * even chunks hold no valid frames (the harness compares the store around them).
 */
export function* edgeFrames(w: EdgeWorld, seed: number, count: number, chunk = 100): Generator<EdgeFrame> {
  const arbs = [edgeFrame(w, false), edgeFrame(w, true)]
  for (let done = 0, c = 0; done < count; c++) {
    const n = Math.min(chunk, count - done)
    for (const f of fc.sample(arbs[c % 2]!, { seed: (seed + c * 7_919) | 0, numRuns: n })) yield f
    done += n
  }
}
