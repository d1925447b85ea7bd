/**
 * Message references (docs/messages.md): an edit, a delete-for-everyone tombstone, a reaction
 * and a reply are each their own franked message whose content names the message it refers
 * to. The reference is part of what franking commits to (so a server cannot re-point it), and
 * the sending device signs the franking commitment over {@link messageRefSigningText} (so a
 * server, which knows a readable message's opening, cannot forge or re-point one either).
 */
import * as v from 'valibot'
import { IdSchema } from './common.js'

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

/** What a message refers to: `kind` and the server id of the target message. */
export const MessageRefSchema = v.strictObject({
  kind: v.picklist(MESSAGE_REF_KINDS),
  messageId: IdSchema,
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
