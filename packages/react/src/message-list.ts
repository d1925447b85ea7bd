/**
 * The message list a conversation shows, as pure functions over an immutable array: rows keyed
 * by `clientMessageId` (stable from the optimistic 'pending' row to the stored one) or the
 * server id, ordered by `seq` with pending rows last, and each outgoing row's delivery state
 * from the peer's receipts.
 */
import type { Message } from '@parley/client'
import type { ReceiptState } from './ui-store.js'

/** Delivery state of an outgoing message: queued, stored by the server, then the peer's receipts. */
export type Delivery = 'pending' | 'sent' | 'delivered' | 'read'

/** One row of {@link useMessages}. */
export interface MessageView {
  /** Stable React key: the `clientMessageId` when this device sent it, else the server id. */
  key: string
  message: Message
  /** For outgoing messages; `null` for received ones. */
  delivery: Delivery | null
}

function deliveryOf(m: Message, receipts: ReadonlyMap<string, ReceiptState>): Delivery | null {
  if (!m.outgoing) return null
  if (m.status === 'pending') return 'pending'
  return receipts.get(m.id) ?? 'sent'
}

function sameMessage(a: Message, b: Message): boolean {
  return (a.clientMessageId !== undefined && a.clientMessageId === b.clientMessageId) || a.id === b.id
}

function order(a: MessageView, b: MessageView): number {
  const sa = a.message.seq ?? Number.POSITIVE_INFINITY
  const sb = b.message.seq ?? Number.POSITIVE_INFINITY
  return sa !== sb ? sa - sb : a.message.ts - b.message.ts
}

/**
 * Adds `incoming` messages (live events or a history page) to `rows`. A row never moves back
 * from stored to pending (a late optimistic event after the ack changes nothing).
 */
export function upsertMessages(rows: readonly MessageView[], incoming: readonly Message[], receipts: ReadonlyMap<string, ReceiptState>): MessageView[] {
  const out = rows.slice()
  for (const m of incoming) {
    const i = out.findIndex((r) => sameMessage(r.message, m))
    if (i >= 0) {
      const prev = out[i]!
      if (m.status === 'pending' && prev.message.status !== 'pending') continue
      // Keep the key the row was first shown with, so React keeps the element.
      out[i] = { key: prev.key, message: m, delivery: deliveryOf(m, receipts) }
    } else {
      out.push({ key: m.clientMessageId ?? m.id, message: m, delivery: deliveryOf(m, receipts) })
    }
  }
  return out.sort(order)
}

/** Recomputes the delivery state of outgoing rows after receipts changed; the same array when nothing did. */
export function applyReceipts(rows: readonly MessageView[], receipts: ReadonlyMap<string, ReceiptState>): readonly MessageView[] {
  let changed = false
  const out = rows.map((r) => {
    const d = deliveryOf(r.message, receipts)
    if (d === r.delivery) return r
    changed = true
    return { ...r, delivery: d }
  })
  return changed ? out : rows
}

/** Removes the row of a send the client rejected: it was never sent, so it is not shown. */
export function removeMessage(rows: readonly MessageView[], clientMessageId: string): readonly MessageView[] {
  const out = rows.filter((r) => r.message.clientMessageId !== clientMessageId || r.message.status !== 'pending')
  return out.length === rows.length ? rows : out
}
