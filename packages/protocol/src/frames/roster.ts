/**
 * Group rosters (docs/groups.md): every membership, role and title change of a group is a
 * `RosterRecord` signed by a device of an admin (a leave: by a device of the leaving member),
 * numbered (`version` 1, 2, …) and hash-chained (`prev` is the hash of the record before; the
 * first record's `prev` is {@link ROSTER_GENESIS}). The server stores and fans them out; every
 * client verifies the whole chain itself (`@parley/crypto` `applyRosterRecord`), so a server
 * cannot add, drop, reorder, roll back or fork a roster without clients noticing.
 */
import * as v from 'valibot'
import { MAX_GROUP_MEMBERS, MAX_ROSTER_CHANGE, MAX_ROSTER_FETCH, MAX_SEALED_TITLE_BYTES, MAX_SEALED_TITLE_KEYS, MAX_TITLE_LENGTH } from '../limits.js'
import {
  base64Exact, base64Max, EncryptionModeSchema, IdSchema, list, PublicKeySchema, SeqSchema, SignatureSchema, TimestampSchema, UserIdSchema, wellFormedText,
} from './common.js'

/** The roles of a group member: admins sign roster changes, members read and send. */
export const GROUP_ROLES = ['admin', 'member'] as const
export type GroupRole = (typeof GROUP_ROLES)[number]
export const GroupRoleSchema = v.picklist(GROUP_ROLES)

/** Bytes of a roster record hash (SHA-256). */
export const ROSTER_HASH_BYTES = 32
/** The `prev` of a group's first record: 32 zero bytes, base64. */
export const ROSTER_GENESIS = 'A'.repeat(43) + '='

export const RosterHashSchema = base64Exact(ROSTER_HASH_BYTES)
export const RosterMemberSchema = v.strictObject({ userId: UserIdSchema, role: GroupRoleSchema })
export type RosterMember = v.InferOutput<typeof RosterMemberSchema>

/** One member device's copy of a sealed title's key (decision 0022): the key XOR a pad only that device can derive. */
export const SealedTitleKeySchema = v.strictObject({ userId: UserIdSchema, deviceId: IdSchema, key: base64Exact(32) })
/**
 * An E2EE group's title, encrypted to the member devices (decision 0022, `@parley/crypto`
 * `sealGroupTitle`): the padded title under a fresh title key (committing AEAD), and that key
 * for each member device from an X25519 exchange between `ephemeralKey` and the device's
 * identity key in its user's signed device list. Signed as part of the record.
 */
export const SealedTitleSchema = v.strictObject({
  ephemeralKey: PublicKeySchema,
  ciphertext: base64Max(MAX_SEALED_TITLE_BYTES),
  keys: list(SealedTitleKeySchema, MAX_SEALED_TITLE_KEYS, 1),
})
export type SealedTitle = v.InferOutput<typeof SealedTitleSchema>

/**
 * What one record changes. `create` is always version 1 and only version 1. `create` and `add`
 * state the group's encryption mode as their signer holds it (absent: `server-side`), so a
 * member added after an upgrade to E2EE learns the mode from the signed chain, never from the
 * server's unsigned `encryption`; a verified roster's mode is the highest any record stated.
 * In an E2EE group the title travels as `sealedTitle` (then `title` is `''`), and an `add`
 * may carry the current title sealed to the added members' devices (decision 0022).
 */
export const RosterChangeSchema = v.variant('action', [
  v.strictObject({ action: v.literal('create'), members: list(RosterMemberSchema, MAX_GROUP_MEMBERS, 1), title: wellFormedText(MAX_TITLE_LENGTH), mode: v.optional(EncryptionModeSchema), sealedTitle: v.optional(SealedTitleSchema) }),
  v.strictObject({ action: v.literal('add'), userIds: list(UserIdSchema, MAX_ROSTER_CHANGE, 1), mode: v.optional(EncryptionModeSchema), sealedTitle: v.optional(SealedTitleSchema) }),
  v.strictObject({ action: v.literal('remove'), userIds: list(UserIdSchema, MAX_ROSTER_CHANGE, 1) }),
  v.strictObject({ action: v.literal('leave') }),
  v.strictObject({ action: v.literal('role'), userId: UserIdSchema, role: GroupRoleSchema }),
  v.strictObject({ action: v.literal('title'), title: wellFormedText(MAX_TITLE_LENGTH), sealedTitle: v.optional(SealedTitleSchema) }),
])
export type RosterChange = v.InferOutput<typeof RosterChangeSchema>

/** A signed roster record. `userId`/`deviceId` name the signing device. */
export const RosterRecordSchema = v.strictObject({
  conversationId: IdSchema,
  version: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(Number.MAX_SAFE_INTEGER)),
  prev: RosterHashSchema,
  change: RosterChangeSchema,
  userId: UserIdSchema,
  deviceId: IdSchema,
  ts: TimestampSchema,
  signature: SignatureSchema,
})
export type RosterRecord = v.InferOutput<typeof RosterRecordSchema>

/** The canonical sealed title (fixed key order, keys as given). */
const canonicalSealed = (s: SealedTitle | undefined) =>
  s ? { sealedTitle: { ephemeralKey: s.ephemeralKey, ciphertext: s.ciphertext, keys: s.keys.map((k) => ({ userId: k.userId, deviceId: k.deviceId, key: k.key })) } } : {}

/** The canonical change (fixed key order, member lists as given) a signature covers. */
function canonicalChange(c: RosterChange): unknown {
  switch (c.action) {
    case 'create': return { action: c.action, members: c.members.map((m) => ({ userId: m.userId, role: m.role })), title: c.title, ...(c.mode ? { mode: c.mode } : {}), ...canonicalSealed(c.sealedTitle) }
    case 'add': return { action: c.action, userIds: [...c.userIds], ...(c.mode ? { mode: c.mode } : {}), ...canonicalSealed(c.sealedTitle) }
    case 'remove': return { action: c.action, userIds: [...c.userIds] }
    case 'leave': return { action: c.action }
    case 'role': return { action: c.action, userId: c.userId, role: c.role }
    case 'title': return { action: c.action, title: c.title, ...canonicalSealed(c.sealedTitle) }
  }
}

/**
 * The exact text a device signs for a roster record (UTF-8 encode it): a domain label, then
 * one field per line, the change as canonical JSON last (JSON escapes newlines, so no field can
 * spill into another).
 */
export function rosterSigningText(r: Omit<RosterRecord, 'signature'>): string {
  return ['parley/roster/v1', r.conversationId, String(r.version), r.prev, r.userId, r.deviceId, String(r.ts), JSON.stringify(canonicalChange(r.change))].join('\n')
}

/** Create a group: its first roster record (version 1, `create`, signed by an admin device of the caller). */
export const ConversationCreateSchema = v.strictObject({ record: RosterRecordSchema })
/** Append a roster record (add, remove, leave, role, title) to a group. */
export const RosterAppendSchema = v.strictObject({ record: RosterRecordSchema })
/** Roster records of a group with `version` > `after`, oldest first. */
export const RosterFetchSchema = v.strictObject({
  conversationId: IdSchema,
  after: v.optional(SeqSchema),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_ROSTER_FETCH))),
})
export const RosterFetchResultSchema = v.strictObject({
  records: list(v.strictObject({ record: RosterRecordSchema, seq: SeqSchema }), MAX_ROSTER_FETCH),
  more: v.boolean(),
})
export type RosterFetchResult = v.InferOutput<typeof RosterFetchResultSchema>

/**
 * The sender's roster head (version and hash) carried inside a group message (inside the
 * ciphertext in E2EE): a receiver holding another record at that version learns of a fork.
 */
export const RosterHeadSchema = v.strictObject({ version: SeqSchema, head: RosterHashSchema })
export type RosterHead = v.InferOutput<typeof RosterHeadSchema>
