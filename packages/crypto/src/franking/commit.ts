/**
 * Message franking, sender side (Facebook's message franking; Grubbs et al., CRYPTO 2017):
 * `tf = HMAC-SHA256(nf, canonical(message))` with a fresh 32-byte `nf` carried inside the
 * encrypted payload. An attachment is committed through its plaintext SHA-256.
 */
import { firstLoneSurrogate, type AttachmentMeta, type MessageRef } from '@parley/protocol'
import { concat, equalBytes, fromBase64, lp, toBase64, u32be, u64be } from '../_bytes.js'
import { hmacSha256, label, LABELS } from '../kdf.js'
import { systemRandom, type RandomSource } from '../random.js'

/** What franking commits to. */
export interface FrankableMessage {
  text: string
  attachments: AttachmentMeta[]
  /** An edit, tombstone, reaction or reply: the message it refers to (docs/messages.md). */
  ref?: MessageRef | undefined
  /**
   * The sender's disappearing timer (ms) when it sent this message (docs/recovery.md, decision
   * 0023): every device expires the message by it, so the server cannot change it.
   */
  timer?: number | undefined
}

/**
 * Asserts `text` is well-formed Unicode: UTF-8 turns every lone surrogate into U+FFFD, so an
 * ill-formed text would share its encoding (and its commitment) with another text.
 */
function awellFormed(text: unknown, name: string): string {
  if (typeof text !== 'string') throw new TypeError(`"${name}" expected string, got ${typeof text}`)
  const at = firstLoneSurrogate(text)
  if (at >= 0) throw new TypeError(`"${name}" expected well-formed Unicode, got a lone surrogate at index ${at}`)
  return text
}

/**
 * The canonical, unambiguous encoding of a message for franking.
 * @throws {TypeError} when the text, an attachment name or mime is not well-formed Unicode.
 */
export function frankingBytes(msg: FrankableMessage): Uint8Array {
  if (!msg || typeof msg.text !== 'string' || !Array.isArray(msg.attachments)) throw new TypeError('"msg" expected { text: string, attachments: AttachmentMeta[] }')
  const parts = [label(LABELS.franking), lp(awellFormed(msg.text, 'msg.text')), u32be(msg.attachments.length)]
  for (const [i, a] of msg.attachments.entries()) {
    awellFormed(a.name, `msg.attachments[${i}].name`)
    awellFormed(a.mime, `msg.attachments[${i}].mime`)
    const sha = fromBase64(a.sha256)
    if (sha.length !== 32) throw new RangeError('"attachments[].sha256" expected base64 of 32 bytes')
    parts.push(lp(a.name), lp(a.mime), u64be(a.size), sha)
  }
  // A reference is appended after the (self-delimiting) attachments, so a message without one
  // encodes exactly as before and no message with one encodes like a message without.
  if (msg.ref !== undefined) {
    parts.push(lp('ref'), lp(awellFormed(msg.ref.kind, 'msg.ref.kind')), lp(awellFormed(msg.ref.messageId, 'msg.ref.messageId')))
    // Decision 0021: the target's commitment and an edit's version, each appended with its own
    // label when present, so a reference without them encodes exactly as before (vectors kept).
    if (msg.ref.tf !== undefined) {
      const tf = fromBase64(msg.ref.tf)
      if (tf.length !== 32) throw new RangeError('"msg.ref.tf" expected base64 of 32 bytes')
      parts.push(lp('ref-tf'), tf)
    }
    if (msg.ref.version !== undefined) {
      if (!Number.isInteger(msg.ref.version) || msg.ref.version < 1 || msg.ref.version > 0xffff_ffff) throw new RangeError('"msg.ref.version" expected a positive u32')
      parts.push(lp('ref-version'), u32be(msg.ref.version))
    }
  }
  // The timer is appended the same way, after the reference: a message without one encodes as
  // before (existing vectors stay valid), and a labelled field is never read as another's.
  if (msg.timer !== undefined) {
    if (!Number.isSafeInteger(msg.timer) || msg.timer < 0) throw new RangeError(`"msg.timer" expected a whole number of ms, got ${msg.timer}`)
    parts.push(lp('timer'), u64be(msg.timer))
  }
  // Out-of-band attachments (docs/attachments.md): where the bytes are and the key, appended
  // last under their own label and index, so a message without one encodes as before and the
  // reference cannot be re-pointed at other bytes without changing `tf`.
  for (const [i, a] of msg.attachments.entries()) {
    if (a.file === undefined) continue
    const key = fromBase64(a.file.key)
    if (key.length !== 32) throw new RangeError('"attachments[].file.key" expected base64 of 32 bytes')
    parts.push(lp('file'), u32be(i), lp(awellFormed(a.file.id, `msg.attachments[${i}].file.id`)), key)
    // Its sealed thumbnail (decision 0027), labelled and only when present: a file without one
    // encodes as before, and a server cannot swap the preview the receiver shows.
    if (a.file.thumbnail !== undefined) parts.push(lp('thumbnail'), lp(fromBase64(a.file.thumbnail)))
  }
  return concat(...parts)
}

/**
 * Franks a message: a fresh opening `nf` and commitment `tf` (base64, 32 bytes each).
 * @throws {TypeError|RangeError} malformed message, or text that is not well-formed Unicode.
 */
export function frankMessage(msg: FrankableMessage, random: RandomSource = systemRandom): { nf: string; tf: string } {
  const bytes = frankingBytes(msg)
  const nf = random(32)
  return { nf: toBase64(nf), tf: toBase64(hmacSha256(nf, bytes)) }
}

/**
 * True when `tf` commits to `msg` under opening `nf` (constant-time). False when malformed,
 * including a text that is not well-formed Unicode (it never verifies).
 */
export function checkFranking(msg: FrankableMessage, nf: string, tf: string): boolean {
  try {
    const key = fromBase64(nf)
    const tag = fromBase64(tf)
    if (key.length !== 32 || tag.length !== 32) return false
    return equalBytes(hmacSha256(key, frankingBytes(msg)), tag)
  } catch {
    return false
  }
}
