/**
 * Public types of receipts and unread counts (docs/messages.md, "Receipts").
 */
import type { DeviceAddress, ReceiptKind } from '@parley/protocol'

/**
 * A verified receipt: device `from` stored (`delivered`) or its user read (`read`) every
 * message of the conversation up to and including `messageId` at `seq`. The shape extends the
 * protocol's `ReceiptEvent` (`messageIds`, `status`, `from`, `ts`), so per-message ticks keep working.
 */
export interface Receipt {
  conversationId: string
  /** The device that signed the receipt (checked against its user's signed device list). */
  from: DeviceAddress
  status: ReceiptKind
  /** The newest message the receipt covers, and its seq. */
  messageId: string
  seq: number
  /** This user's messages the receipt newly covers for the receipt's user (no device of it had marked them; newest 100), oldest first; empty for this user's own receipts. */
  messageIds: string[]
  /** Server time of the receipt message. */
  ts: number
}

/** One member device's state for a message (`conversation.receipts(messageId)`). */
export interface MemberReceipt {
  userId: string
  deviceId: string
  /** `read` when its user read the message, else `delivered`. */
  status: ReceiptKind
  /** The seq its mark reached (at or after the message's), and that receipt's server time. */
  seq: number
  ts: number
}

/** Payload of the `'unread'` event (on the conversation and the client). */
export interface UnreadEventPayload {
  conversationId: string
  /** Messages from other users after this user's read marker (actions and deleted messages not counted). */
  count: number
}
