/**
 * Per-conversation unread counts (docs/messages.md, "Receipts"), computed on this device from
 * its own log and this user's read marker — never from a server count: messages of other
 * users after the marker, not counting actions, receipts or messages deleted for everyone.
 * Recomputed (coalesced per conversation) whenever a message, an update, a receipt or an
 * expiry reaches the client, and emitted as `'unread'` when the number changes. New messages
 * after the last count only add to it (a catch-up of thousands would otherwise recount the
 * whole unread log once per batch); anything else — an update, an expiry, a read marker that
 * moved, a message older than the last count — recounts from the log.
 */
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import { readMarker } from './receipt-book.js'
import type { Message } from '../types.js'
import type { UnreadEventPayload } from './types.js'

/** Counts the unread messages of a conversation in `store`. */
export async function countUnread(store: KeyStore, conversationId: string, selfUserId: string): Promise<{ count: number; marker: number; newest: StoredMessage | null; lastSeq: number }> {
  const marker = await readMarker(store, conversationId, selfUserId)
  const prefix = K.messagePrefix(conversationId)
  const all = (await store.keys(prefix)).map((k) => Number(k.slice(prefix.length)))
  const lastSeq = all.reduce((a, b) => Math.max(a, b), -1)
  const seqs = all.filter((s) => s > marker).sort((a, b) => a - b)
  let count = 0
  let newest: StoredMessage | null = null
  for (const seq of seqs) {
    const m = (await store.get<JsonValue>(K.message(conversationId, seq))) as unknown as StoredMessage | null
    if (!m || m.outgoing || (m.ref && m.ref.kind !== 'reply') || m.deleted) continue
    count++
    newest = m
  }
  return { count, marker, newest, lastSeq }
}

/** What the last count saw: the read marker, the highest seq in the log, and the count. */
interface Tally {
  marker: number
  lastSeq: number
  count: number
}

export class UnreadCounts {
  private readonly counts = new Map<string, number>()
  private readonly queued = new Map<string, Promise<number>>()
  private readonly tail = new Map<string, Promise<unknown>>()
  private readonly tallies = new Map<string, Tally>()
  /** Incoming messages announced since the queued run was scheduled (the run may add them). */
  private readonly fresh = new Map<string, Message[]>()
  /** Conversations whose next run must recount from the log. */
  private readonly stale = new Set<string>()

  constructor(private readonly core: ClientCore, private readonly conversation: (id: string) => Conversation | undefined) {
    const recount = (p: { conversationId: string }) => void this.refresh(p.conversationId).catch(() => {})
    core.events.on('message', (m) => {
      if (m.outgoing) return
      if (m.status === 'received' && typeof m.seq === 'number') {
        const list = this.fresh.get(m.conversationId)
        if (list) list.push(m)
        else this.fresh.set(m.conversationId, [m])
        void this.schedule(m.conversationId).catch(() => {})
      } else recount(m)
    })
    core.events.on('update', (m) => { if (m.outgoing !== true) recount(m) })
    core.events.on('receipt', (r) => { if (r.from.userId === core.self().userId && r.status === 'read') recount(r) })
    core.events.on('expired', recount)
  }

  /** The last computed count (a first read starts the computation; `'unread'` follows if it is not 0). */
  get(c: Conversation): number {
    if (!this.counts.has(c.id) && !this.queued.has(c.id)) void this.refresh(c.id).catch(() => {})
    return this.counts.get(c.id) ?? 0
  }

  /** Recounts from the log (calls queued while one waits share it) and emits `'unread'` on a change. */
  refresh(conversationId: string): Promise<number> {
    this.stale.add(conversationId)
    return this.schedule(conversationId)
  }

  private schedule(conversationId: string): Promise<number> {
    const waiting = this.queued.get(conversationId)
    if (waiting) return waiting
    const run = (this.tail.get(conversationId) ?? Promise.resolve()).then(async () => {
      this.queued.delete(conversationId)
      const full = this.stale.delete(conversationId)
      const fresh = this.fresh.get(conversationId) ?? []
      this.fresh.delete(conversationId)
      const self = this.core.self().userId
      const last = this.tallies.get(conversationId)
      // What this run took (a recount asked for, new messages) is gone once taken: if the store
      // fails now, the next run recounts from the log rather than add to a stale tally.
      this.tallies.delete(conversationId)
      const marker = await readMarker(this.core.store, conversationId, self)
      let tally = full || !last || last.marker !== marker ? undefined : added(last, fresh)
      if (!tally) {
        const counted = await countUnread(this.core.store, conversationId, self)
        tally = { marker: counted.marker, lastSeq: counted.lastSeq, count: counted.count }
      }
      this.tallies.set(conversationId, tally)
      const before = this.counts.get(conversationId) ?? 0
      this.counts.set(conversationId, tally.count)
      if (tally.count !== before) this.emit({ conversationId, count: tally.count })
      return tally.count
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

/**
 * `last` plus new incoming messages, when each is past everything `last` counted (so none was
 * counted before); undefined when one is not, and the log must be recounted.
 */
function added(last: Tally, fresh: readonly Message[]): Tally | undefined {
  const seqs = new Set<number>()
  let { lastSeq, count } = last
  for (const m of fresh) {
    const seq = m.seq!
    if (seq <= last.lastSeq) return undefined
    if (seqs.has(seq)) continue
    seqs.add(seq)
    lastSeq = Math.max(lastSeq, seq)
    if (seq > last.marker && !m.deleted) count++
  }
  return { marker: last.marker, lastSeq, count }
}
