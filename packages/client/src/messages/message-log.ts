/**
 * The local message log: every message this device saw, keyed by conversation and sequence
 * number, with its franking opening. It is the source of E2EE history (the server cannot
 * decrypt it) and of report transcripts.
 */
import { fromBase64, toBase64, type ReportEntry } from '@parley/protocol'
import type { KeyStore, JsonValue } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import type { Attachment, Message } from '../types.js'
import { reportableContent } from './evidence.js'
import { fileOf } from '../attachments/file-meta.js'

/** The app-facing form of a stored message. */
export function toMessage(m: StoredMessage): Message {
  const out: Message = {
    id: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    ts: m.ts,
    sender: { ...m.sender },
    outgoing: m.outgoing,
    text: m.text,
    attachments: m.attachments.map((a): Attachment => ({ name: a.name, mime: a.mime, size: a.size, sha256: a.sha256, ...fileOf(a), data: fromBase64(a.data) })),
    encryption: m.encryption,
    status: m.outgoing ? 'sent' : 'received',
    reactions: {},
  }
  if (m.clientMessageId !== undefined) out.clientMessageId = m.clientMessageId
  if (m.flagged) out.flagged = { ...m.flagged }
  if (m.timer !== undefined) out.disappearingMs = m.timer
  // Derived by messages/ (docs/messages.md): latest version, tombstone, reactions, reply.
  // A reply points at the message this device holds with the franked commitment (decision
  // 0021); a reply without one (an older client) points nowhere: its id is the server's word.
  if (m.replyTo !== undefined) out.replyTo = m.replyTo
  const edits = m.edits ?? []
  if (edits.length > 0) {
    const versions = [{ text: m.text, ts: m.ts }, ...edits]
    const latest = versions.pop()!
    out.text = latest.text
    out.editedAt = latest.ts
    out.versions = versions
  }
  if (m.deleted) out.deleted = { by: { ...m.deleted.by }, at: m.deleted.at }
  const byEmoji: Record<string, string[]> = {}
  for (const [userId, emojis] of Object.entries(m.reactions ?? {})) for (const e of emojis) (byEmoji[e] ??= []).push(userId)
  for (const users of Object.values(byEmoji)) users.sort()
  out.reactions = byEmoji
  return out
}

/** Attachments (with bytes) in their stored form. */
export function storeAttachments(list: Attachment[]): StoredMessage['attachments'] {
  return list.map((a) => ({ name: a.name, mime: a.mime, size: a.size, sha256: a.sha256, ...fileOf(a), data: toBase64(a.data) }))
}

/** The stored message at `seq`, or null. */
export async function messageAt(store: KeyStore, conversationId: string, seq: number): Promise<StoredMessage | null> {
  return (await store.get<JsonValue>(K.message(conversationId, seq))) as StoredMessage | null
}

/**
 * A page of the log, oldest first: up to `limit` messages with `seq < before` (passing `keep`,
 * when given: receipts are left out of history pages and report depth, receipts/).
 */
export async function readPage(store: KeyStore, conversationId: string, before: number | undefined, limit: number, keep?: (m: StoredMessage) => boolean): Promise<StoredMessage[]> {
  const prefix = K.messagePrefix(conversationId)
  let keys = await store.keys(prefix)
  if (before !== undefined) {
    const bound = K.message(conversationId, before)
    keys = keys.filter((k) => k < bound)
  }
  if (!keep) keys = keys.slice(Math.max(0, keys.length - limit))
  const out: StoredMessage[] = []
  for (let i = keys.length - 1; i >= 0 && out.length < limit; i--) {
    const m = (await store.get<JsonValue>(keys[i]!)) as StoredMessage | null
    if (m && (!keep || keep(m))) out.push(m)
  }
  return out.reverse()
}

/**
 * A report entry for a stored message (what the server verifies). A message deleted for
 * everyone is marked `deleted` and carries the content this device kept for reports while the
 * evidence window lasts (messages/evidence.ts), else empty content (the binding only).
 */
export function toReportEntry(m: StoredMessage, now: number): ReportEntry {
  const kept = reportableContent(m, now)
  const content = kept ?? { text: '', attachments: [] }
  return {
    // Without its content an entry proves no reference (the server refuses one): binding only.
    ...(m.ref && kept ? { ref: { ...m.ref } } : {}),
    ...(m.timer !== undefined ? { timer: m.timer } : {}),
    messageId: m.id,
    conversationId: m.conversationId,
    seq: m.seq,
    ts: m.ts,
    sender: { userId: m.sender.userId, deviceId: m.sender.deviceId },
    text: content.text,
    attachments: content.attachments.map((a) => ({ name: a.name, mime: a.mime, size: a.size, sha256: a.sha256, ...fileOf(a) })),
    nf: m.nf,
    tf: m.tf,
    rf: m.rf,
    kid: m.kid,
    ...(m.deleted ? { deleted: true as const } : {}),
  }
}
