/**
 * Conversations and mode changes. A `ModeChange` is signed by the upgrading device's
 * Ed25519 signing key over {@link modeChangeSigningText}, stored in the conversation's
 * history, and pinned by every client.
 */
import * as v from 'valibot'
import { MAX_NOTICE_LENGTH } from '../limits.js'
import {
  EncryptionModeSchema, IdSchema, list, PolicySchema, SeqSchema, SignatureSchema, text, TimestampSchema,
  UserIdSchema,
} from './common.js'

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

/** A conversation as both sides see it. `members` is sorted; 1:1 first, groups later. */
export const ConversationInfoSchema = v.strictObject({
  id: IdSchema,
  kind: v.picklist(['direct']),
  members: list(UserIdSchema, 2, 2),
  encryption: EncryptionModeSchema,
  /** Set when the server policy requires an upgrade before the next send. */
  upgradeRequired: v.boolean(),
  createdAt: TimestampSchema,
  lastSeq: SeqSchema,
  modeChange: v.optional(ModeChangeSchema),
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

/** System notices: every mode or policy change, shown to each participant. */
export const NOTICE_KINDS = ['mode_changed', 'policy_changed', 'upgrade_required', 'device_added', 'identity_changed'] as const
export const NoticeSchema = v.strictObject({
  kind: v.picklist(NOTICE_KINDS),
  conversationId: v.optional(IdSchema),
  policy: v.optional(PolicySchema),
  previousPolicy: v.optional(PolicySchema),
  encryption: v.optional(EncryptionModeSchema),
  text: text(MAX_NOTICE_LENGTH),
  ts: TimestampSchema,
})
export type Notice = v.InferOutput<typeof NoticeSchema>
