/**
 * Conversations and mode changes. A `ModeChange` is signed by the upgrading device's
 * Ed25519 signing key over {@link modeChangeSigningText}, stored in the conversation's
 * history, and pinned by every client.
 */
import * as v from 'valibot'
import {
  EncryptionModeSchema, IdSchema, list, PolicySchema, SeqSchema, SignatureSchema, TimestampSchema,
  UserIdSchema,
} from './common.js'
import { MAX_GROUP_MEMBERS } from '../limits.js'
import { DisappearingSettingSchema } from './disappearing.js'

/** A signed, one-way upgrade record. */
export const ModeChangeSchema = v.strictObject({
  conversationId: IdSchema,
  from: v.literal('server-side'),
  to: v.literal('e2ee'),
  userId: UserIdSchema,
  deviceId: IdSchema,
  ts: TimestampSchema,
  signature: SignatureSchema,
})
export type ModeChange = v.InferOutput<typeof ModeChangeSchema>

/**
 * The exact text a device signs for a mode change (UTF-8 encode it). Line-separated and
 * prefixed with a domain label so it can never be confused with another signed object.
 */
export function modeChangeSigningText(mc: Omit<ModeChange, 'signature'>): string {
  return ['parley/mode-change/v1', mc.conversationId, mc.from, mc.to, mc.userId, mc.deviceId, String(mc.ts)].join('\n')
}

/** Upgrade a conversation to E2EE (optional-e2ee, or default-e2ee for older conversations). */
export const ModeUpgradeSchema = v.strictObject({ modeChange: ModeChangeSchema })

/**
 * A conversation as the server describes it. `members` is sorted: exactly two for `direct`;
 * for a `group`, the server's view of its roster (clients believe only the signed roster and
 * report a difference), with `rosterVersion` the newest record the server holds.
 */
export const ConversationInfoSchema = v.strictObject({
  id: IdSchema,
  kind: v.picklist(['direct', 'group']),
  /** Empty only for a group everyone left. */
  members: list(UserIdSchema, MAX_GROUP_MEMBERS),
  rosterVersion: v.optional(SeqSchema),
  encryption: EncryptionModeSchema,
  /** Set when the server policy requires an upgrade before the next send. */
  upgradeRequired: v.boolean(),
  createdAt: TimestampSchema,
  lastSeq: SeqSchema,
  modeChange: v.optional(ModeChangeSchema),
  /** The newest signed disappearing-messages setting (clients verify it; absent: never set). */
  disappearing: v.optional(DisappearingSettingSchema),
})
export type ConversationInfo = v.InferOutput<typeof ConversationInfoSchema>

/** Open (or find) the 1:1 conversation with a peer: idempotent for the pair. */
export const ConversationOpenSchema = v.strictObject({ peerUserId: UserIdSchema })
export const ConversationResultSchema = v.strictObject({ conversation: ConversationInfoSchema })
export const ConversationListResultSchema = v.strictObject({ conversations: v.array(ConversationInfoSchema) })

/** Mode of a conversation changed (server → every participant device). */
export const ModeEventSchema = v.strictObject({
  conversationId: IdSchema,
  encryption: EncryptionModeSchema,
  modeChange: v.optional(ModeChangeSchema),
  seq: v.optional(SeqSchema),
})
export type ModeEvent = v.InferOutput<typeof ModeEventSchema>

/**
 * System notices are codes from a closed catalogue, never prose: the server sends a `kind` and
 * the structured fields that kind needs, and each client renders the words itself (see
 * `noticeText` in `@parley/client`). There is no free-form text on the wire, so a hostile
 * server cannot make clients show words of its choosing in the system-notice UI: a notice
 * with any other key (a `text`, say) fails this strict schema and is refused at the edge.
 * One schema per kind; every field a client interpolates is an id or an enumeration.
 */
export const NOTICE_KINDS = [
  'mode_changed', 'policy_changed', 'upgrade_required', 'device_added', 'identity_changed', 'conversation_closed', 'message_removed',
] as const
export type NoticeKind = (typeof NOTICE_KINDS)[number]

/** `by` turned on end-to-end encryption for the conversation (one-way). */
export const ModeChangedNoticeSchema = v.strictObject({
  kind: v.literal('mode_changed'),
  conversationId: IdSchema,
  encryption: v.literal('e2ee'),
  /** The member who signed the upgrade. */
  by: UserIdSchema,
  ts: TimestampSchema,
})
/** The server policy moved from `previousPolicy` to `policy`; `encryption` is the conversation's mode. */
export const PolicyChangedNoticeSchema = v.strictObject({
  kind: v.literal('policy_changed'),
  conversationId: v.optional(IdSchema),
  policy: PolicySchema,
  previousPolicy: PolicySchema,
  encryption: v.optional(EncryptionModeSchema),
  ts: TimestampSchema,
})
/** The policy moved to one that upgrades this server-side conversation on its next send. */
export const UpgradeRequiredNoticeSchema = v.strictObject({
  kind: v.literal('upgrade_required'),
  conversationId: IdSchema,
  policy: PolicySchema,
  previousPolicy: PolicySchema,
  encryption: v.literal('server-side'),
  ts: TimestampSchema,
})
/** `userId` added a device. */
export const DeviceAddedNoticeSchema = v.strictObject({
  kind: v.literal('device_added'),
  conversationId: v.optional(IdSchema),
  userId: UserIdSchema,
  ts: TimestampSchema,
})
/** `userId`'s identity key changed (compare safety numbers). */
export const IdentityChangedNoticeSchema = v.strictObject({
  kind: v.literal('identity_changed'),
  conversationId: v.optional(IdSchema),
  userId: UserIdSchema,
  ts: TimestampSchema,
})

/** A moderator closed the conversation: nothing more can be sent in it (same in every mode). */
export const ConversationClosedNoticeSchema = v.strictObject({
  kind: v.literal('conversation_closed'),
  conversationId: IdSchema,
  ts: TimestampSchema,
})
/**
 * A moderator removed a message: its body (server-side) or ciphertext (E2EE) is gone from the
 * server; clients hide it and say a moderator removed it. The reason stays in the audit log.
 */
export const MessageRemovedNoticeSchema = v.strictObject({
  kind: v.literal('message_removed'),
  conversationId: IdSchema,
  messageId: IdSchema,
  ts: TimestampSchema,
})

/** A system notice (server → each participant device): one of {@link NOTICE_KINDS}, no prose. */
export const NoticeSchema = v.variant('kind', [
  ModeChangedNoticeSchema, PolicyChangedNoticeSchema, UpgradeRequiredNoticeSchema, DeviceAddedNoticeSchema, IdentityChangedNoticeSchema,
  ConversationClosedNoticeSchema, MessageRemovedNoticeSchema,
])
export type Notice = v.InferOutput<typeof NoticeSchema>

// The schemas above cover exactly the catalogue: a kind added to one and not the other fails to compile.
type _Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never
const _noticeKindsCovered: _Exact<Notice['kind'], NoticeKind> = true
void _noticeKindsCovered
