/**
 * Receipts in reports (docs/messages.md, "Receipts"): a receipt is a franked message at its
 * own seq, but it is not what a reporter reports, so the last N of a report count messages
 * only. The receipts from the first reported message on travel with them (oldest first, as
 * many as fit), so the server sees no gap where a receipt sits and the transcript stays
 * complete; each is verified like any entry.
 */
import { MAX_REPORT_ENTRIES } from '@parley/protocol'
import type { KeyStore } from '../key-store/key-store.js'
import { readPage } from '../messages/message-log.js'
import type { StoredMessage } from '../store-layout.js'
import { notReceipt } from './apply-receipt.js'

/**
 * `entries` (oldest first, edit chains already added) plus the receipts after seq `from` (the
 * first of the last N messages: an older original brought in by its chain adds none), within
 * {@link MAX_REPORT_ENTRIES}. Added last, so a receipt never pulls its target (which may be
 * older than the reported messages) into a report.
 */
export async function withReceipts(store: KeyStore, conversationId: string, entries: StoredMessage[], from: number): Promise<StoredMessage[]> {
  if (entries.length === 0) return entries
  const room = Math.max(0, MAX_REPORT_ENTRIES - entries.length)
  const receipts = (await readPage(store, conversationId, undefined, Number.MAX_SAFE_INTEGER, (m) => !notReceipt(m) && m.seq > from)).slice(0, room)
  return [...entries, ...receipts].sort((a, b) => a.seq - b.seq)
}
