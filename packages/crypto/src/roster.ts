/**
 * Group rosters (docs/groups.md): signing, hashing and the one rule set that moves a roster
 * from one version to the next. The server and every client run this same code: the server to
 * refuse bad records early, clients to believe only what verifies. Pure: no I/O, no clock.
 */
import {
  MAX_DEVICES_PER_USER, MAX_GROUP_MEMBERS, RosterRejectedError, ROSTER_GENESIS, highestMode, rosterSigningText, type EncryptionMode, type GroupRole, type RosterRecord,
} from '@parley/protocol'
import { utf8 } from './_bytes.js'
import { sha256Base64 } from './attachment.js'
import { sign, verify, type DeviceIdentity } from './identity.js'

/** A verified roster: who is in the group with which role, its title, and the chain head. */
export interface RosterState {
  conversationId: string
  /** Version of the last applied record (0 before the first). */
  version: number
  /** Hash of the last applied record ({@link ROSTER_GENESIS} before the first). */
  head: string
  /** userId → role. */
  members: Record<string, GroupRole>
  title: string
  /**
   * The highest encryption mode a `create` or `add` record stated (`server-side` when none did;
   * absent in pins stored before this field: read it as `server-side`). Never goes down.
   */
  mode?: EncryptionMode
}

/** The state before a group's first record. */
export function emptyRoster(conversationId: string): RosterState {
  return { conversationId, version: 0, head: ROSTER_GENESIS, members: {}, title: '', mode: 'server-side' }
}

/** Signs a roster record with the device signing key. */
export function signRosterRecord(device: DeviceIdentity, r: Omit<RosterRecord, 'signature'>): RosterRecord {
  const unsigned: Omit<RosterRecord, 'signature'> = {
    conversationId: r.conversationId, version: r.version, prev: r.prev, change: r.change, userId: r.userId, deviceId: r.deviceId, ts: r.ts,
  }
  return { ...unsigned, signature: sign(device.signing.secretKey, utf8(rosterSigningText(unsigned))) }
}

/** True when `r.signature` verifies under `signingKeyB64` (false for anything malformed). */
export function verifyRosterSignature(r: RosterRecord, signingKeyB64: string): boolean {
  try {
    return verify(signingKeyB64, utf8(rosterSigningText(r)), r.signature)
  } catch {
    return false
  }
}

/** The hash a record is chained by: SHA-256 over its signed text and its signature. */
export function rosterHash(r: RosterRecord): string {
  return sha256Base64(utf8(`${rosterSigningText(r)}\n${r.signature}`))
}

/** Sorted member ids of a state. */
export function rosterMembers(s: RosterState): string[] {
  return Object.keys(s.members).sort()
}

const reject = (s: RosterState, r: RosterRecord, reason: NonNullable<RosterRejectedError['details']['reason']>, message: string) =>
  new RosterRejectedError(message, { conversationId: s.conversationId, version: r.version, userId: r.userId, reason })

/**
 * The state after `r`, when `r` is the valid next record of `s`. Checks, in order: the
 * conversation, the version (`gap` when ahead, `stale` when at or behind), the hash chain, the
 * signature (`signingKey` is the signer device's key from its user's verified device list;
 * null when that device is not listed), and the signer's authority: an admin for every change
 * but `leave` (a member leaving), and `create` only as version 1 naming its signer admin. The
 * last admin cannot leave or be demoted or removed while other members remain, and a group
 * never holds more than `maxMembers` (`invalid_change`). The state's `mode` is the highest a
 * `create` or `add` record stated. A sealed title (decision 0022) comes with an empty readable
 * title, names each device once and only members (`invalid_change`); the state's `title` is then
 * `''` (a client opens the sealed one itself). Returns a new state; `s` is never changed.
 * @throws {RosterRejectedError} with `details.reason`.
 */
export function applyRosterRecord(s: RosterState, r: RosterRecord, signingKey: string | null, maxMembers: number = MAX_GROUP_MEMBERS): RosterState {
  if (r.conversationId !== s.conversationId) throw reject(s, r, 'invalid_change', 'the roster record names another conversation')
  if (r.version > s.version + 1) throw reject(s, r, 'gap', `roster version ${r.version} follows ${s.version}: records are missing`)
  if (r.version <= s.version) throw reject(s, r, 'stale', `roster version ${r.version} is not after ${s.version}`)
  if (r.prev !== s.head) throw reject(s, r, 'bad_chain', 'the roster record does not chain to the previous one')
  if (!signingKey || !verifyRosterSignature(r, signingKey)) throw reject(s, r, 'bad_signature', 'the roster record is not signed by a listed device of its signer')
  const members = { ...s.members }
  let title = s.title
  let mode: EncryptionMode = s.mode ?? 'server-side'
  const c = r.change
  if (c.action === 'create' || c.action === 'add') mode = highestMode(mode, c.mode ?? 'server-side')
  const isAdmin = s.members[r.userId] === 'admin'
  if (c.action === 'create') {
    if (r.version !== 1) throw reject(s, r, 'invalid_change', 'only the first roster record creates the group')
    const ids = c.members.map((m) => m.userId)
    if (new Set(ids).size !== ids.length) throw reject(s, r, 'invalid_change', 'a member is listed twice')
    if (!c.members.some((m) => m.userId === r.userId && m.role === 'admin')) throw reject(s, r, 'not_admin', 'the creator must be an admin of the group')
    for (const m of c.members) members[m.userId] = m.role
    title = c.title
  } else {
    if (r.version === 1) throw reject(s, r, 'invalid_change', 'the first roster record must create the group')
    if (c.action === 'leave') {
      if (!(r.userId in members)) throw reject(s, r, 'invalid_change', 'only a member can leave')
      delete members[r.userId]
    } else {
      if (!isAdmin) throw reject(s, r, 'not_admin', 'only an admin may change the roster')
      if (c.action === 'add') {
        if (new Set(c.userIds).size !== c.userIds.length || c.userIds.some((u) => u in members)) throw reject(s, r, 'invalid_change', 'add names a member twice or one already in the group')
        for (const u of c.userIds) members[u] = 'member'
      } else if (c.action === 'remove') {
        if (new Set(c.userIds).size !== c.userIds.length || c.userIds.some((u) => !(u in members))) throw reject(s, r, 'invalid_change', 'remove names a user twice or one not in the group')
        for (const u of c.userIds) delete members[u]
      } else if (c.action === 'role') {
        if (!(c.userId in members)) throw reject(s, r, 'invalid_change', 'role names a user not in the group')
        members[c.userId] = c.role
      } else title = c.title
    }
    const left = Object.keys(members)
    if (left.length > 0 && !left.some((u) => members[u] === 'admin')) throw reject(s, r, 'invalid_change', 'a group with members needs an admin: promote another member first')
  }
  // A sealed title (decision 0022) hides the title: the record's readable one stays empty, and it is sealed only to members.
  const sealed = c.action === 'create' || c.action === 'add' || c.action === 'title' ? c.sealedTitle : undefined
  if (sealed) {
    if ((c.action === 'create' || c.action === 'title') && c.title !== '') throw reject(s, r, 'invalid_change', 'a record with a sealed title carries no readable title')
    const addresses = sealed.keys.map((k) => `${k.userId}\n${k.deviceId}`)
    if (new Set(addresses).size !== addresses.length) throw reject(s, r, 'invalid_change', 'the title is sealed twice to one device')
    if (sealed.keys.some((k) => !(k.userId in members))) throw reject(s, r, 'invalid_change', 'the title is sealed to a user who is not a member')
    // Bounded size: an admin could otherwise pad every record with thousands of keys of invented devices.
    const perUser = new Map<string, number>()
    for (const k of sealed.keys) perUser.set(k.userId, (perUser.get(k.userId) ?? 0) + 1)
    if ([...perUser.values()].some((n) => n > MAX_DEVICES_PER_USER)) throw reject(s, r, 'invalid_change', `the title is sealed to more than ${MAX_DEVICES_PER_USER} devices of one user`)
    if (c.action === 'add' && sealed.keys.some((k) => !c.userIds.includes(k.userId))) throw reject(s, r, 'invalid_change', 'an add seals the title to the added users only')
  }
  // Where the signed chain says the group is E2EE, a readable title is refused on every side, not only by an honest server.
  if (mode === 'e2ee' && (c.action === 'create' || c.action === 'title') && c.title !== '') throw reject(s, r, 'invalid_change', 'an E2EE group\'s title is sealed, never readable')
  // What the protocol can describe (a server's own lower limit is its GroupFullError, checked before this).
  if (Object.keys(members).length > maxMembers) throw reject(s, r, 'invalid_change', `a group may have at most ${maxMembers} members`)
  return { conversationId: s.conversationId, version: r.version, head: rosterHash(r), members, title, mode }
}
