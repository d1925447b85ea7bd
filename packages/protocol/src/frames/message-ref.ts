/**
 * Message references (docs/messages.md): an edit, a delete-for-everyone tombstone, a reaction
 * and a reply are each their own franked message whose content names the message it refers
 * to. The reference is part of what franking commits to (so a server cannot re-point it), and
 * the sending device signs the franking commitment over {@link messageRefSigningText} (so a
 * server, which knows a readable message's opening, cannot forge or re-point one either).
 */
import * as v from 'valibot'
import { FrankingTagSchema, IdSchema } from './common.js'

/**
 * The kinds of reference a message can carry. `delivered` and `read` are receipts
 * (docs/messages.md, "Receipts"): "this device stored / this user read everything up to and
 * including the referenced message", sent as their own signed message so they are stored, reach
 * offline devices, and travel end-to-end encrypted in E2EE conversations.
 */
export const MESSAGE_REF_KINDS = ['edit', 'delete', 'react', 'unreact', 'reply', 'delivered', 'read'] as const
export type MessageRefKind = (typeof MESSAGE_REF_KINDS)[number]
/** The receipt kinds of reference (docs/messages.md, "Receipts"). */
export const RECEIPT_KINDS = ['delivered', 'read'] as const
export type ReceiptKind = (typeof RECEIPT_KINDS)[number]

/** Longest reaction (UTF-16 code units): one emoji with skin tone and ZWJ sequences fits. */
export const MAX_REACTION_LENGTH = 32

/**
 * Most edits of one message (decision 0021): an edit carries its version number (1 for the
 * first edit), and an edit beyond this is refused by the editing client and by receivers, so a
 * report can carry a message's whole chain (original, edits, tombstone) inside
 * `MAX_REPORT_ENTRIES`.
 */
export const MAX_EDITS_PER_MESSAGE = 20

/**
 * Most reaction actions (react and unreact, all emoji together) one user sends on one message:
 * each carries its number (`version`, 1 for the first), so a receiver applies a later one over
 * an earlier one whatever order the server delivers them in, and remembers at most this many.
 */
export const MAX_REACTION_ACTIONS_PER_USER = 100

/**
 * How long a device keeps the content of a message deleted for everyone, out of the UI and
 * out of search, so that a report made after the deletion still proves what was received
 * (decision 0021): 30 days from the tombstone, then it is wiped.
 */
export const REPORT_EVIDENCE_WINDOW_MS = 30 * 24 * 3_600_000

/** Most distinct emoji one user keeps on one message (more reactions are refused). */
export const MAX_REACTIONS_PER_USER = 20

/**
 * What a message refers to: `kind`, the server id of the target (a lookup hint only), and
 * (decision 0021) the target's franking commitment `tf` — what the target's sender franked and
 * the server cannot choose — by which receivers resolve and check the target. An edit also
 * carries `version`, its place in the target's edit chain (at most `MAX_EDITS_PER_MESSAGE`),
 * and a reaction or unreaction its number among its user's reaction actions on the target (at
 * most `MAX_REACTION_ACTIONS_PER_USER`), so neither depends on the order the server delivers
 * them in. Both are optional in the schema only so
 * that logs and reports from before decision 0021 still parse; receivers refuse a new action
 * without `tf` (docs/messages.md).
 */
export const MessageRefSchema = v.strictObject({
  kind: v.picklist(MESSAGE_REF_KINDS),
  messageId: IdSchema,
  tf: v.optional(FrankingTagSchema),
  version: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_REACTION_ACTIONS_PER_USER))),
})
export type MessageRef = v.InferOutput<typeof MessageRefSchema>

/**
 * The exact text a device signs for a message carrying a reference (UTF-8 encode it): the
 * conversation and the franking commitment `tf`, which commits to the text, attachments and
 * the reference. Domain-labelled so it is never confused with another signed object.
 */
export function messageRefSigningText(a: { conversationId: string; tf: string }): string {
  return ['parley/message-ref/v1', a.conversationId, a.tf].join('\n')
}
