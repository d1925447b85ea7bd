/**
 * Sealed group titles (decision 0022): only the devices a title is sealed to read it; any
 * change to the sealed bytes, the group or the version makes it unreadable (null, never a
 * throw); the roster rules refuse a sealed title beside a readable one, sealed twice to a device
 * or to a non-member; the signature covers the sealed title.
 */
import { describe, expect, it } from 'vitest'
import { MAX_DEVICES_PER_USER, RosterRejectedError, type RosterRecord, type SealedTitle } from '@parley/protocol'
import {
  applyRosterRecord, emptyRoster, generateDeviceIdentity, nobleProvider, openGroupTitle, pickProvider, sealGroupTitle, sealGroupTitleWith, signRosterRecord, verifyRosterSignature,
  type RosterState,
} from '../src/index.js'

const a1 = generateDeviceIdentity('a1')
const b1 = generateDeviceIdentity('b1')
const b2 = generateDeviceIdentity('b2')
const c1 = generateDeviceIdentity('c1')
const ctx = { conversationId: 'g_1', version: 1 }
const to = (userId: string, d: typeof a1) => ({ userId, deviceId: d.deviceId, identityKey: d.identity.publicKey })
const me = (userId: string, d: typeof a1) => ({ userId, deviceId: d.deviceId, identity: d.identity })

describe('sealGroupTitle / openGroupTitle', () => {
  const sealed = sealGroupTitle('the sentinel title ✓', ctx, [to('alice', a1), to('bob', b1), to('bob', b2)])

  it('opens on every device it was sealed to, and on no other', () => {
    for (const [u, d] of [['alice', a1], ['bob', b1], ['bob', b2]] as const) expect(openGroupTitle(sealed, ctx, me(u, d))).toBe('the sentinel title ✓')
    expect(openGroupTitle(sealed, ctx, me('carol', c1))).toBeNull()
    // carol relabels bob's copy as hers: her identity key derives another pad.
    const relabelled: SealedTitle = { ...sealed, keys: [...sealed.keys, { ...sealed.keys[1]!, userId: 'carol', deviceId: 'c1' }] }
    expect(openGroupTitle(relabelled, ctx, me('carol', c1))).toBeNull()
  })

  it('is bound to the group and the record version; altered bytes do not open', () => {
    expect(openGroupTitle(sealed, { ...ctx, version: 2 }, me('bob', b1))).toBeNull()
    expect(openGroupTitle(sealed, { ...ctx, conversationId: 'g_2' }, me('bob', b1))).toBeNull()
    const flip = (b64: string) => Buffer.from(Buffer.from(b64, 'base64').map((x, i) => (i === 5 ? x ^ 1 : x))).toString('base64')
    expect(openGroupTitle({ ...sealed, ciphertext: flip(sealed.ciphertext) }, ctx, me('bob', b1))).toBeNull()
    expect(openGroupTitle({ ...sealed, keys: sealed.keys.map((k) => ({ ...k, key: flip(k.key) })) }, ctx, me('bob', b1))).toBeNull()
    expect(openGroupTitle({ ...sealed, ephemeralKey: 'A'.repeat(43) + '=' }, ctx, me('bob', b1))).toBeNull()
  })

  it('hides the title and its exact length (64-byte blocks)', () => {
    const short = sealGroupTitle('a', ctx, [to('bob', b1)])
    const longer = sealGroupTitle('a'.repeat(60), ctx, [to('bob', b1)])
    expect(Buffer.from(short.ciphertext, 'base64').length).toBe(Buffer.from(longer.ciphertext, 'base64').length)
    // A distinctive title is absent from the ciphertext (a single byte could appear by chance).
    const sentinel = 'parley-title-sentinel'
    expect(Buffer.from(sealGroupTitle(sentinel, ctx, [to('bob', b1)]).ciphertext, 'base64').toString('latin1')).not.toContain(sentinel)
    expect(openGroupTitle(sealGroupTitle('', ctx, [to('bob', b1)]), ctx, me('bob', b1))).toBe('')
    expect(openGroupTitle(sealGroupTitle('é'.repeat(200), ctx, [to('bob', b1)]), ctx, me('bob', b1))).toBe('é'.repeat(200))
  })

  it('seals the same on every provider; a small-order identity key in a list is left out, not fatal', async () => {
    const smallOrder = { userId: 'mallory', deviceId: 'm1', identityKey: Buffer.alloc(32).toString('base64') }
    for (const provider of [nobleProvider, await pickProvider()]) {
      const sealed = await sealGroupTitleWith(provider, 'native ✓', ctx, [to('bob', b1), smallOrder, to('bob', b2)])
      expect(sealed.keys.map((k) => k.deviceId)).toEqual(['b1', 'b2'])
      expect(openGroupTitle(sealed, ctx, me('bob', b2))).toBe('native ✓')
    }
    expect(sealGroupTitle('x', ctx, [smallOrder, to('bob', b1)]).keys.map((k) => k.deviceId)).toEqual(['b1'])
    expect(() => sealGroupTitle('x', ctx, [smallOrder])).toThrow(RangeError)
  })

  it('refuses bad input with TypeError / RangeError', () => {
    expect(() => sealGroupTitle('x'.repeat(201), ctx, [to('bob', b1)])).toThrow(RangeError)
    expect(() => sealGroupTitle('x', ctx, [])).toThrow(RangeError)
    expect(() => sealGroupTitle(1 as unknown as string, ctx, [to('bob', b1)])).toThrow(TypeError)
  })
})

describe('roster rules for sealed titles', () => {
  const members = [{ userId: 'alice', role: 'admin' as const }, { userId: 'bob', role: 'member' as const }]
  const create = (change: Partial<Extract<RosterRecord['change'], { action: 'create' }>>) =>
    signRosterRecord(a1, { conversationId: 'g_1', version: 1, prev: emptyRoster('g_1').head, userId: 'alice', deviceId: 'a1', ts: 1, change: { action: 'create', title: '', members, mode: 'e2ee', ...change } })
  const reason = (r: RosterRecord) => {
    try {
      applyRosterRecord(emptyRoster('g_1'), r, a1.signing.publicKey)
      return 'accepted'
    } catch (e) {
      expect(RosterRejectedError.isInstance(e)).toBe(true)
      return (e as RosterRejectedError).details.reason
    }
  }
  const sealed = sealGroupTitle('secret', ctx, [to('alice', a1), to('bob', b1)])

  it('accepts a sealed title with an empty readable one; the state holds no title', () => {
    const r = create({ sealedTitle: sealed })
    const s: RosterState = applyRosterRecord(emptyRoster('g_1'), r, a1.signing.publicKey)
    expect(s.title).toBe('')
    expect(JSON.stringify(s)).not.toContain('secret')
  })

  it('refuses a readable title beside it, a device twice, a non-member', () => {
    expect(reason(create({ title: 'leak', sealedTitle: sealed }))).toBe('invalid_change')
    expect(reason(create({ sealedTitle: { ...sealed, keys: [...sealed.keys, sealed.keys[0]!] } }))).toBe('invalid_change')
    expect(reason(create({ sealedTitle: sealGroupTitle('secret', ctx, [to('alice', a1), to('carol', c1)]) }))).toBe('invalid_change')
  })

  it('bounds a record: at most MAX_DEVICES_PER_USER keys per user; an E2EE group never takes a readable title (review of 0022)', () => {
    // Keys for invented devices of one member: 17 copies of alice's key under other device ids.
    const padded = { ...sealed, keys: [...sealed.keys, ...Array.from({ length: MAX_DEVICES_PER_USER }, (_, i) => ({ ...sealed.keys[0]!, deviceId: `x${i}` }))] }
    expect(reason(create({ sealedTitle: padded }))).toBe('invalid_change')
    // Control: exactly MAX_DEVICES_PER_USER keys for alice is accepted.
    const full = { ...sealed, keys: [...sealed.keys, ...Array.from({ length: MAX_DEVICES_PER_USER - 1 }, (_, i) => ({ ...sealed.keys[0]!, deviceId: `x${i}` }))] }
    expect(reason(create({ sealedTitle: full }))).toBe('accepted')
    // A readable title where the signed chain says E2EE (only an honest server refused it before); control: server-side.
    expect(reason(create({ title: 'readable' }))).toBe('invalid_change')
    expect(reason(create({ title: 'readable', mode: 'server-side' }))).toBe('accepted')
  })

  it('signs the sealed title: swapping it breaks the signature', () => {
    const r = create({ sealedTitle: sealed })
    const swapped = { ...r, change: { ...r.change, sealedTitle: sealGroupTitle('other', ctx, [to('alice', a1), to('bob', b1)]) } } as RosterRecord
    expect(verifyRosterSignature(r, a1.signing.publicKey)).toBe(true)
    expect(verifyRosterSignature(swapped, a1.signing.publicKey)).toBe(false)
    expect(reason(swapped)).toBe('bad_signature')
  })
})
