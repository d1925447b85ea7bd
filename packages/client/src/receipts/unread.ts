/**
 * Per-conversation unread counts (docs/messages.md, "Receipts"), computed on this device from
 * its own log and this user's read marker — never from a server count: messages of other
 * users after the marker, not counting actions, receipts or messages deleted for everyone.
 * Recomputed (coalesced per conversation) whenever a message, an update, a receipt or an
 * expiry reaches the client, and emitted as `'unread'` when the number changes.
 */
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import { readMarker } from './receipt-book.js'
import type { UnreadEventPayload } from './types.js'

/** Counts the unread messages of a conversation in `store`. */
export async function countUnread(store: KeyStore, conversationId: string, selfUserId: string): Promise<{ count: number; marker: number; newest: StoredMessage | null }> {
  const marker = await readMarker(store, conversationId, selfUserId)
  const prefix = K.messagePrefix(conversationId)
  const seqs = (await store.keys(prefix)).map((k) => Number(k.slice(prefix.length))).filter((s) => s > marker).sort((a, b) => a - b)
  let count = 0
  let newest: StoredMessage | null = null
  for (const seq of seqs) {
    const m = (await store.get<JsonValue>(K.message(conversationId, seq))) as unknown as StoredMessage | null
    if (!m || m.outgoing || (m.ref && m.ref.kind !== 'reply') || m.deleted) continue
    count++
    newest = m
  }
  return { count, marker, newest }
}

export class UnreadCounts {
  private readonly counts = new Map<string, number>()
  private readonly queued = new Map<string, Promise<number>>()
  private readonly tail = new Map<string, Promise<unknown>>()

  constructor(private readonly core: ClientCore, private readonly conversation: (id: string) => Conversation | undefined) {
    const touch = (p: { conversationId: string; outgoing?: boolean }) => {
      if (p.outgoing !== true) void this.refresh(p.conversationId).catch(() => {})
    }
    core.events.on('message', touch)
    core.events.on('update', touch)
    core.events.on('receipt', (r) => { if (r.from.userId === core.self().userId && r.status === 'read') touch(r) })
    core.events.on('expired', touch)
  }

  /** The last computed count (a first read starts the computation; `'unread'` follows if it is not 0). */
  get(c: Conversation): number {
    if (!this.counts.has(c.id) && !this.queued.has(c.id)) void this.refresh(c.id).catch(() => {})
    return this.counts.get(c.id) ?? 0
  }

  /** Recomputes the count (calls queued while one waits share it) and emits `'unread'` on a change. */
  refresh(conversationId: string): Promise<number> {
    const waiting = this.queued.get(conversationId)
    if (waiting) return waiting
    const run = (this.tail.get(conversationId) ?? Promise.resolve()).then(async () => {
      this.queued.delete(conversationId)
      const { count } = await countUnread(this.core.store, conversationId, this.core.self().userId)
      const before = this.counts.get(conversationId) ?? 0
      this.counts.set(conversationId, count)
      if (count !== before) this.emit({ conversationId, count })
      return count
    })
    this.queued.set(conversationId, run)
    this.tail.set(conversationId, run.catch(() => {}))
    return run
  }

  private emit(p: UnreadEventPayload): void {
    this.conversation(p.conversationId)?._emit('unread', p)
    this.core.events.emit('unread', p)
  }
}
