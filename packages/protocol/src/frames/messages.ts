/**
 * Message frames: send (server-side or e2ee), the delivery a device receives, receipts,
 * typing, history, inbox sync and delete-for-everyone.
 */
import * as v from 'valibot'
import {
  FRANKING_BYTES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_NAME_LENGTH, MAX_ATTACHMENTS, MAX_CIPHERTEXT_BYTES,
  MAX_ENVELOPES, MAX_GROUP_ENVELOPES, MAX_HISTORY_LIMIT, MAX_MIME_LENGTH, MAX_RECEIPT_IDS, MAX_SYNC_LIMIT, MAX_TEXT_LENGTH,
} from '../limits.js'
import {
  base64Exact, base64Max, DeviceAddressSchema, EncryptionModeSchema, FrankingTagSchema, IdSchema, list,
  SeqSchema, SignatureSchema, TimestampSchema, UserIdSchema, wellFormedText,
} from './common.js'
import { ModeChangeSchema } from './mode.js'
import { RosterHeadSchema, RosterRecordSchema } from './roster.js'
import { SenderKeyMessageSchema } from './sender-key.js'
import { MessageRefSchema } from './message-ref.js'
import { DisappearingTimerSchema } from './disappearing.js'
import { AttachmentIdSchema, FileRefSchema, MAX_FILE_BYTES_CAP } from './attachments.js'

/**
 * Attachment metadata: what franking commits to (through `sha256` of the plaintext). An
 * out-of-band attachment (docs/attachments.md) also names its uploaded bytes and key in `file`
 * (franked too); its `size` may then exceed the inline limit.
 */
export const AttachmentMetaSchema = v.strictObject({
  name: wellFormedText(MAX_ATTACHMENT_NAME_LENGTH, 1),
  mime: wellFormedText(MAX_MIME_LENGTH, 1),
  size: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(MAX_FILE_BYTES_CAP)),
  sha256: base64Exact(32),
  file: v.optional(FileRefSchema),
})
export type AttachmentMeta = v.InferOutput<typeof AttachmentMetaSchema>

/** A server-side attachment: metadata plus the bytes. */
export const InlineAttachmentSchema = v.strictObject({
  ...AttachmentMetaSchema.entries,
  data: base64Max(MAX_ATTACHMENT_BYTES),
})
export type InlineAttachment = v.InferOutput<typeof InlineAttachmentSchema>

/** A server-side message body. `nf` is the franking key (the opening of `tf`). */
export const PlainBodySchema = v.strictObject({
  text: wellFormedText(MAX_TEXT_LENGTH),
  attachments: list(InlineAttachmentSchema, MAX_ATTACHMENTS),
  nf: base64Exact(FRANKING_BYTES),
  /** Group messages: the sender's roster head (fork detection; not franked). */
  roster: v.optional(RosterHeadSchema),
  /** An edit, tombstone, reaction or reply: the message it refers to (franked; docs/messages.md). */
  ref: v.optional(MessageRefSchema),
  /** With `ref`: the sending device's Ed25519 signature over `messageRefSigningText`. */
  sig: v.optional(SignatureSchema),
  /** The sender's disappearing timer when it sent this message (franked; docs/recovery.md). */
  timer: v.optional(DisappearingTimerSchema),
})
export type PlainBody = v.InferOutput<typeof PlainBodySchema>

/** One recipient device's ratchet ciphertext. `type: 'prekey'` carries a PQXDH initial message. */
export const EnvelopeSchema = v.strictObject({
  userId: UserIdSchema,
  deviceId: IdSchema,
  type: v.picklist(['prekey', 'message']),
  ciphertext: base64Max(MAX_CIPHERTEXT_BYTES),
})
export type Envelope = v.InferOutput<typeof EnvelopeSchema>

/** An attachment encrypted once under a random key carried inside every envelope. */
export const EncryptedAttachmentSchema = v.strictObject({
  id: IdSchema,
  ciphertext: base64Max(MAX_ATTACHMENT_BYTES + 128),
})
export type EncryptedAttachment = v.InferOutput<typeof EncryptedAttachmentSchema>

const SendBase = {
  conversationId: IdSchema,
  /** Client-chosen id: a resend with the same id is acked again, never stored twice. */
  clientMessageId: IdSchema,
  /** Franking commitment `tf = HMAC(nf, canonical(message))`. */
  tf: FrankingTagSchema,
  /**
   * A control message (a receipt; decision 0019): stored and delivered like any message, but
   * never pushed to offline devices. Not franked: it only steers the server's push, and a
   * client that sets or omits it wrongly wakes, or leaves asleep, only the recipients of its own
   * message (docs/messages.md, "Receipts").
   */
  silent: v.optional(v.literal(true)),
}
/** Send into a server-side conversation: the server reads, moderates and seals the body. */
export const SendPlainSchema = v.strictObject({ ...SendBase, mode: v.literal('server-side'), body: PlainBodySchema })
/**
 * Send into an E2EE conversation: one envelope per recipient device (including the sender's
 * others). A 1:1 has at most {@link MAX_ENVELOPES}; a group's fan-out is bounded by
 * {@link MAX_GROUP_ENVELOPES} here and by the server's member limit.
 *
 * A group send with sender keys (docs/groups.md) carries the message once, in `senderKey`, and
 * `envelopes` holds only the chain distributions, one to each member device that was not yet
 * given this chain (none at all once every device holds it). Without `senderKey` at least one
 * envelope is required.
 */
export const SendE2eeSchema = v.pipe(
  v.strictObject({
    ...SendBase,
    mode: v.literal('e2ee'),
    envelopes: list(EnvelopeSchema, Math.max(MAX_ENVELOPES, MAX_GROUP_ENVELOPES)),
    attachments: list(EncryptedAttachmentSchema, MAX_ATTACHMENTS),
    senderKey: v.optional(SenderKeyMessageSchema),
    /**
     * The out-of-band attachments the encrypted payload names (docs/attachments.md): the server
     * cannot read them, and deletes them with the message. Only the sender's own uploads count.
     */
    files: v.optional(list(AttachmentIdSchema, MAX_ATTACHMENTS)),
  }),
  v.check((f) => f.envelopes.length > 0 || f.senderKey !== undefined, 'expected at least 1 items'),
)
export const MessageSendSchema = v.variant('mode', [SendPlainSchema, SendE2eeSchema])
export type MessageSend = v.InferOutput<typeof MessageSendSchema>

/** Franking data the server adds on accept: binding `rf` under server key `kid`. */
export const FrankingSchema = v.strictObject({ tf: FrankingTagSchema, rf: FrankingTagSchema, kid: IdSchema })
export type Franking = v.InferOutput<typeof FrankingSchema>

/** Ack of `message.send`: the message is durable once this arrives. */
export const SendResultSchema = v.strictObject({
  messageId: IdSchema,
  clientMessageId: IdSchema,
  conversationId: IdSchema,
  seq: SeqSchema,
  ts: TimestampSchema,
  franking: FrankingSchema,
})
export type SendResult = v.InferOutput<typeof SendResultSchema>

/** What a device receives, live or on catch-up. `inboxId` is this device's durable cursor. */
export const DeliverySchema = v.strictObject({
  inboxId: SeqSchema,
  kind: v.picklist(['message', 'mode_change', 'roster']),
  messageId: IdSchema,
  clientMessageId: v.optional(IdSchema),
  conversationId: IdSchema,
  seq: SeqSchema,
  ts: TimestampSchema,
  sender: DeviceAddressSchema,
  mode: EncryptionModeSchema,
  body: v.optional(PlainBodySchema),
  envelope: v.optional(v.strictObject({ type: v.picklist(['prekey', 'message']), ciphertext: base64Max(MAX_CIPHERTEXT_BYTES) })),
  /** A sender-key group message: the one ciphertext (`envelope`, when present, is this device's chain distribution). */
  senderKey: v.optional(SenderKeyMessageSchema),
  attachments: v.optional(list(EncryptedAttachmentSchema, MAX_ATTACHMENTS)),
  franking: v.optional(FrankingSchema),
  modeChange: v.optional(ModeChangeSchema),
  /** `kind: 'roster'`: the signed roster record stored at this seq. */
  roster: v.optional(RosterRecordSchema),
  /** Deleted for everyone: no content left (a sender-key message keeps `envelope`, this device's chain distribution). */
  deleted: v.optional(v.boolean()),
})
export type Delivery = v.InferOutput<typeof DeliverySchema>

/** Advance this device's inbox cursor: everything up to `upTo` is durably received. */
export const InboxAckSchema = v.strictObject({ upTo: SeqSchema })
/** Ask for deliveries after a cursor (catch-up). */
export const InboxSyncSchema = v.strictObject({
  after: v.optional(SeqSchema),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_SYNC_LIMIT))),
})
export const InboxSyncResultSchema = v.strictObject({ deliveries: v.array(DeliverySchema), more: v.boolean() })
export type InboxSyncResult = v.InferOutput<typeof InboxSyncResultSchema>

/**
 * Delivered / read receipt for messages of one conversation, relayed live and never stored.
 * Kept for older clients: current clients send receipts as signed messages with a `delivered` /
 * `read` reference (docs/messages.md, "Receipts") and do not believe this unsigned relay.
 */
export const ReceiptSendSchema = v.strictObject({
  conversationId: IdSchema,
  messageIds: list(IdSchema, MAX_RECEIPT_IDS, 1),
  status: v.picklist(['delivered', 'read']),
})
export type ReceiptSend = v.InferOutput<typeof ReceiptSendSchema>
export const ReceiptEventSchema = v.strictObject({
  ...ReceiptSendSchema.entries,
  from: DeviceAddressSchema,
  ts: TimestampSchema,
})
export type ReceiptEvent = v.InferOutput<typeof ReceiptEventSchema>

/** Typing indicator; relayed live, never stored. */
export const TypingSendSchema = v.strictObject({ conversationId: IdSchema, typing: v.boolean() })
export const TypingEventSchema = v.strictObject({ conversationId: IdSchema, from: DeviceAddressSchema, typing: v.boolean() })
export type TypingEvent = v.InferOutput<typeof TypingEventSchema>

/** History page, newest first, before a sequence number. */
export const HistoryFetchSchema = v.strictObject({
  conversationId: IdSchema,
  before: v.optional(SeqSchema),
  limit: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_HISTORY_LIMIT))),
})
export type HistoryFetch = v.InferOutput<typeof HistoryFetchSchema>
export const HistoryResultSchema = v.strictObject({
  messages: v.array(DeliverySchema),
  /** Pass as `before` for the next (older) page; absent at the start of history. */
  nextBefore: v.optional(SeqSchema),
})
export type HistoryResult = v.InferOutput<typeof HistoryResultSchema>

/**
 * Delete-for-everyone: the server drops the body/ciphertext and tells every device. A client
 * first sends its signed tombstone (a message with `ref.kind: 'delete'`); `message.deleted` is
 * only a hint to catch up: clients hide a message on the verified tombstone, never on this event.
 */
export const MessageDeleteSchema = v.strictObject({ conversationId: IdSchema, messageId: IdSchema })
export const MessageDeletedSchema = v.strictObject({ conversationId: IdSchema, messageId: IdSchema, by: DeviceAddressSchema, ts: TimestampSchema })
export type MessageDeleted = v.InferOutput<typeof MessageDeletedSchema>
