/**
 * Report evidence of messages deleted for everyone (docs/messages.md, decision 0021). A
 * tombstone takes a message (and its edits) out of the UI and out of search, but the device
 * keeps the content (`kept`) for `REPORT_EVIDENCE_WINDOW_MS`, so a recipient can still prove
 * what it received: a report made within the window sends it, and the server verifies its
 * opening like any entry. After the window the content is wiped; a report then proves the
 * binding only. Each kept message has an `evidence/<until>/<conversation>/<seq>` key, so a
 * sweep reads only what is due.
 */
import { REPORT_EVIDENCE_WINDOW_MS } from '@parley/protocol'
import type { KeyStore, JsonValue } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import { messageAtSeq, putMessage, type Changes } from './find-message.js'

/** Most kept messages one sweep wipes (the rest at the next sweep): bounded work per call. */
export const MAX_EVIDENCE_SWEEP = 100

/**
 * `m` deleted for everyone at `deletedAt` (server time of the tombstone): content out of
 * `text`/`attachments` into `kept` until the window ends, its sweep key written into `changes`.
 */
export function keepEvidence(changes: Changes, m: StoredMessage, deleted: NonNullable<StoredMessage['deleted']>, now: number): StoredMessage {
  // From the earlier of the tombstone's server time and this device's clock: a far-future `ts`
  // from a hostile server must not keep content forever.
  const until = Math.min(deleted.at, now) + REPORT_EVIDENCE_WINDOW_MS
  const out: StoredMessage = { ...m, text: '', attachments: [], deleted }
  if (m.kept === undefined && (m.text !== '' || m.attachments.length > 0)) {
    out.kept = { text: m.text, attachments: m.attachments, until }
    changes[K.evidence(until, m.conversationId, m.seq)] = { conversationId: m.conversationId, seq: m.seq }
  }
  return out
}

/** The content a report may send for `m`: its own, or (deleted) what is kept and not yet due. */
export function reportableContent(m: StoredMessage, now: number): Pick<StoredMessage, 'text' | 'attachments'> | null {
  if (!m.deleted) return { text: m.text, attachments: m.attachments }
  return m.kept && m.kept.until > now ? { text: m.kept.text, attachments: m.kept.attachments } : null
}

/**
 * Wipes kept content whose window ended by `now` (at most {@link MAX_EVIDENCE_SWEEP} messages),
 * into `changes`. Returns how many were due.
 */
export async function sweepEvidence(store: KeyStore, now: number, changes: Changes): Promise<number> {
  const keys = (await store.keys(K.evidencePrefix)).sort()
  const due = keys.filter((k) => k < K.evidence(now, '', 0)).slice(0, MAX_EVIDENCE_SWEEP)
  for (const key of due) {
    changes[key] = null
    const at = (await store.get<JsonValue>(key)) as { conversationId: string; seq: number } | null
    if (!at) continue
    const m = await messageAtSeq(store, at.conversationId, at.seq, changes)
    if (m?.kept) {
      const { kept: _k, ...rest } = m
      putMessage(changes, rest)
    }
  }
  return due.length
}
