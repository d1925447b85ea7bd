/**
 * The E2EE plaintext payload: what a ratchet message carries inside its ciphertext. The
 * franking opening `nf`, attachment keys and the conversation's signed `ModeChange` travel
 * here, where the server cannot see or alter them.
 */
import * as v from 'valibot'
import {
  AttachmentMetaSchema, BadMacError, DisappearingTimerSchema, FRANKING_BYTES, IdSchema, MAX_ATTACHMENTS, MAX_TEXT_LENGTH, ModeChangeSchema, base64Exact,
  list, MessageRefSchema, parseWith, RosterHeadSchema, SignatureSchema, text, type AttachmentMeta, type MessageRef, type ModeChange, type RosterHead,
} from '@parley/protocol'
import { PAYLOAD_VERSION } from '../constants.js'
import { fromUtf8, utf8 } from '../util.js'

const PayloadSchema = v.strictObject({
  v: v.literal(PAYLOAD_VERSION),
  text: text(MAX_TEXT_LENGTH),
  attachments: list(v.strictObject({ ...AttachmentMetaSchema.entries, id: IdSchema, key: base64Exact(32) }), MAX_ATTACHMENTS),
  nf: base64Exact(FRANKING_BYTES),
  cmid: IdSchema,
  mc: v.optional(ModeChangeSchema),
  /** Group messages: the sender's verified roster head (a receiver holding another at that version sees a fork). */
  roster: v.optional(RosterHeadSchema),
  /** An edit, tombstone, reaction or reply: the message it refers to (franked), and the sending device's signature. */
  ref: v.optional(MessageRefSchema),
  sig: v.optional(SignatureSchema),
  /** The sender's disappearing timer (franked; decision 0023). */
  timer: v.optional(DisappearingTimerSchema),
})

/** The decrypted content of one E2EE message. */
export type E2eePayload = v.InferOutput<typeof PayloadSchema>
/** An attachment entry of a payload: metadata, the encrypted blob's id and its key. */
export type PayloadAttachment = AttachmentMeta & { id: string; key: string }

/** Serializes a payload. */
export function encodePayload(p: { text: string; attachments: PayloadAttachment[]; nf: string; cmid: string; mc?: ModeChange; roster?: RosterHead; ref?: MessageRef; sig?: string; timer?: number }): Uint8Array {
  const out: E2eePayload = { v: PAYLOAD_VERSION, text: p.text, attachments: p.attachments, nf: p.nf, cmid: p.cmid }
  if (p.mc) out.mc = p.mc
  if (p.roster) out.roster = p.roster
  if (p.ref) out.ref = p.ref
  if (p.sig) out.sig = p.sig
  if (p.timer !== undefined) out.timer = p.timer
  return utf8(JSON.stringify(out))
}

/**
 * Parses a decrypted payload.
 * @throws {BadMacError} when the plaintext is not a valid payload (treated as a decrypt failure).
 */
export function decodePayload(bytes: Uint8Array): E2eePayload {
  try {
    return parseWith(PayloadSchema, JSON.parse(fromUtf8(bytes)), 'e2ee payload')
  } catch {
    throw new BadMacError('decrypted payload is malformed')
  }
}
