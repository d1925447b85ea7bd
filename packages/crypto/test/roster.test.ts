import { describe, expect, it } from 'vitest'
import { ROSTER_GENESIS, RosterRejectedError, type RosterRecord } from '@parley/protocol'
import { applyRosterRecord, emptyRoster, generateDeviceIdentity, rosterHash, rosterMembers, signRosterRecord, type RosterState } from '../src/index.js'

const alice = generateDeviceIdentity('a1')
const bob = generateDeviceIdentity('b1')
const keys: Record<string, string> = { alice: alice.signing.publicKey, bob: bob.signing.publicKey }
const dev = { alice, bob }

function rec(s: RosterState, by: 'alice' | 'bob', change: RosterRecord['change'], over: Partial<RosterRecord> = {}): RosterRecord {
  return signRosterRecord(dev[by], { conversationId: 'g1', version: s.version + 1, prev: s.head, change, userId: by, deviceId: dev[by].deviceId, ts: 1, ...over })
}
const apply = (s: RosterState, r: RosterRecord) => applyRosterRecord(s, r, keys[r.userId] ?? null)
const reason = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    expect(RosterRejectedError.isInstance(e)).toBe(true)
    return (e as RosterRejectedError).details.reason
  }
  return 'accepted'
}

describe('roster rules', () => {
  const s0 = emptyRoster('g1')
  const s1 = apply(s0, rec(s0, 'alice', { action: 'create', title: 't', members: [{ userId: 'alice', role: 'admin' }, { userId: 'bob', role: 'member' }] }))

  it('creates, chains and hashes', () => {
    expect(s1.version).toBe(1)
    expect(rosterMembers(s1)).toEqual(['alice', 'bob'])
    expect(s1.head).not.toBe(ROSTER_GENESIS)
    const s2 = apply(s1, rec(s1, 'alice', { action: 'add', userIds: ['carol'] }))
    expect(s2.members).toEqual({ alice: 'admin', bob: 'member', carol: 'member' })
    const s3 = apply(s2, rec(s2, 'bob', { action: 'leave' }))
    expect(rosterMembers(s3)).toEqual(['alice', 'carol'])
    const s4 = apply(s3, rec(s3, 'alice', { action: 'title', title: 'new' }))
    expect(s4.title).toBe('new')
  })

  it('takes the mode from create and add records, never lowering it', () => {
    expect(s1.mode).toBe('server-side')
    const s2 = apply(s1, rec(s1, 'alice', { action: 'add', userIds: ['carol'], mode: 'e2ee' }))
    expect(s2.mode).toBe('e2ee')
    const s3 = apply(s2, rec(s2, 'alice', { action: 'add', userIds: ['dave'] }))
    expect(s3.mode).toBe('e2ee')
    const e = apply(s0, rec(s0, 'alice', { action: 'create', title: '', mode: 'e2ee', members: [{ userId: 'alice', role: 'admin' }] }))
    expect(e.mode).toBe('e2ee')
    // The mode is signed: changing it breaks the signature.
    const r = rec(s1, 'alice', { action: 'add', userIds: ['carol'], mode: 'e2ee' })
    expect(reason(() => apply(s1, { ...r, change: { action: 'add', userIds: ['carol'], mode: 'server-side' } }))).toBe('bad_signature')
  })

  it('refuses a record past the member limit (invalid_change)', () => {
    const r = rec(s1, 'alice', { action: 'add', userIds: ['carol', 'dave'] })
    expect(reason(() => applyRosterRecord(s1, r, keys.alice!, 3))).toBe('invalid_change')
    expect(rosterMembers(applyRosterRecord(s1, r, keys.alice!, 4))).toHaveLength(4)
  })

  it('refuses each way a record can be wrong', () => {
    expect(reason(() => apply(s1, rec(s1, 'bob', { action: 'add', userIds: ['mallory'] })))).toBe('not_admin')
    expect(reason(() => apply(s1, rec(s1, 'alice', { action: 'add', userIds: ['x'] }, { version: 3 })))).toBe('gap')
    expect(reason(() => apply(s1, rec(s1, 'alice', { action: 'add', userIds: ['x'] }, { version: 1 })))).toBe('stale')
    expect(reason(() => apply(s1, rec(s1, 'alice', { action: 'add', userIds: ['x'] }, { prev: ROSTER_GENESIS })))).toBe('bad_chain')
    const forged = { ...rec(s1, 'alice', { action: 'add', userIds: ['x'] }), change: { action: 'add' as const, userIds: ['mallory'] } }
    expect(reason(() => apply(s1, forged))).toBe('bad_signature')
    expect(reason(() => applyRosterRecord(s1, rec(s1, 'alice', { action: 'add', userIds: ['x'] }), null))).toBe('bad_signature')
    expect(reason(() => apply(s1, rec(s1, 'alice', { action: 'add', userIds: ['bob'] })))).toBe('invalid_change')
    expect(reason(() => apply(s1, rec(s1, 'alice', { action: 'leave' })))).toBe('invalid_change') // last admin
    expect(reason(() => apply(s0, rec(s0, 'bob', { action: 'create', title: '', members: [{ userId: 'bob', role: 'member' }] })))).toBe('not_admin')
  })

  it('a record hash changes with any field', () => {
    const r = rec(s1, 'alice', { action: 'title', title: 'a' })
    expect(rosterHash(r)).not.toBe(rosterHash(rec(s1, 'alice', { action: 'title', title: 'b' })))
  })
})
