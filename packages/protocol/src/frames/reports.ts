/**
 * User reports: the last N messages the reporter saw, each with its franking opening. The
 * server verifies each entry and the transcript, then calls `onReport(VerifiedReport)`.
 */
import * as v from 'valibot'
import { FRANKING_BYTES, MAX_ATTACHMENTS, MAX_REASON_LENGTH, MAX_REPORT_ENTRIES, MAX_TEXT_LENGTH } from '../limits.js'
import {
  base64Exact, DeviceAddressSchema, FrankingTagSchema, IdSchema, list, SeqSchema, TimestampSchema, wellFormedText,
} from './common.js'
import { AttachmentMetaSchema } from './messages.js'
import { MessageRefSchema } from './message-ref.js'
import { DisappearingTimerSchema } from './disappearing.js'

/** One reported message: what the reporter decrypted, plus the opening `nf` and the binding. */
export const ReportEntrySchema = v.strictObject({
  messageId: IdSchema,
  conversationId: IdSchema,
  seq: SeqSchema,
  ts: TimestampSchema,
  sender: DeviceAddressSchema,
  /** Well-formed Unicode: a lone surrogate would share its UTF-8 encoding (U+FFFD) with another text. */
  text: wellFormedText(MAX_TEXT_LENGTH),
  attachments: list(AttachmentMetaSchema, MAX_ATTACHMENTS),
  nf: base64Exact(FRANKING_BYTES),
  tf: FrankingTagSchema,
  rf: FrankingTagSchema,
  kid: IdSchema,
  /** An edit, tombstone, reaction or reply: its reference (franked with the text). */
  ref: v.optional(MessageRefSchema),
  /** The sender's disappearing timer when it sent the message (franked with the text). */
  timer: v.optional(DisappearingTimerSchema),
  /**
   * A message deleted for everyone before this report. Its signed tombstone must be a verified
   * entry of the same report (else `no_tombstone`). Within `REPORT_EVIDENCE_WINDOW_MS` of the
   * deletion the reporter's device still holds the content (out of the UI): it is sent and its
   * opening verified; after it, `text` and `attachments` are empty and only the binding (`tf`,
   * `rf`: sender, seq, time) is verified (decision 0021).
   */
  deleted: v.optional(v.literal(true)),
})
export type ReportEntry = v.InferOutput<typeof ReportEntrySchema>

/** Submit a report. `reportId` is client-chosen: the same report twice is one report. */
export const ReportSubmitSchema = v.strictObject({
  reportId: IdSchema,
  conversationId: IdSchema,
  reason: wellFormedText(MAX_REASON_LENGTH, 1),
  entries: list(ReportEntrySchema, MAX_REPORT_ENTRIES),
})
export type ReportSubmit = v.InferOutput<typeof ReportSubmitSchema>

/** Ack of `report.submit`. */
export const ReportResultSchema = v.strictObject({
  reportId: IdSchema,
  /** True when this id was already received; the first report stands. */
  duplicate: v.boolean(),
  verifiedEntries: SeqSchema,
  totalEntries: SeqSchema,
})
export type ReportResult = v.InferOutput<typeof ReportResultSchema>
