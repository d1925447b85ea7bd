/**
 * Sending receipts and reading their state (docs/messages.md, "Receipts"):
 * - `markRead()` moves this user's read marker to the newest message of another user in this
 *   device's log and sends a signed `read` receipt referring to it by its franking commitment
 *   (decision 0021: the id is only a hint), through the outbox: franked,
 *   signed, E2EE-encrypted in E2EE conversations, queued offline, delivered to the other members
 *   and to this user's other devices, which clear their unread count on it);
 * - a `delivered` receipt is sent by itself when this device stores messages of other users
 *   (one per burst, for the newest; none when this user already read it, none across an open
 *   message request; client option `deliveryReceipts: false` turns it off);
 * - `receipts(messageId)` is the per-member state of a message from the verified receipt book.
 */
import { UnknownMessageError, type MessageRef, type SendResult } from '@parley/protocol'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { findMessage } from '../messages/find-message.js'
import { K, type StoredMessage } from '../store-layout.js'
import type { SendInput } from '../types.js'
import { applyPending } from './apply-receipt.js'
import { loadBook, readMarker, RK } from './receipt-book.js'
import type { MemberReceipt } from './types.js'
import { countUnread, UnreadCounts } from './unread.js'

/** What receipts need from the client. */
export interface ReceiptHost {
  core: ClientCore
  conversation(id: string): Conversation | undefined
  enqueue(c: Conversation, input: SendInput, ref: MessageRef): Promise<SendResult>
  /** The `deliveryReceipts` option (default true). */
  deliveryReceipts: boolean
  /** True when this user blocked the peer of a 1:1: a blocker sends it nothing, receipts included. */
  blocked(userId: string): boolean
}

/** The newest message of another user (not an action) in the log, or null. */
async function newestIncoming(store: KeyStore, conversationId: string): Promise<StoredMessage | null> {
  const prefix = K.messagePrefix(conversationId)
  const seqs = (await store.keys(prefix)).map((k) => Number(k.slice(prefix.length))).sort((a, b) => b - a)
  for (const seq of seqs) {
    const m = (await store.get<JsonValue>(K.message(conversationId, seq))) as unknown as StoredMessage | null
    if (m && !m.outgoing && (!m.ref || m.ref.kind === 'reply')) return m
  }
  return null
}

export class Receipts {
  readonly unread: UnreadCounts
  private readonly pendingDelivered = new Set<string>()

  constructor(private readonly host: ReceiptHost) {
    this.unread = new UnreadCounts(host.core, host.conversation)
    // A receipt can arrive before this device stored its target (its own send's ack still on the way).
    host.core.events.on('message', (m) => {
      if (m.status === 'sent' || m.status === 'received') this.retryPending(m.conversationId).catch(() => {})
    })
    if (host.deliveryReceipts) {
      host.core.events.on('message', (m) => {
        if (m.outgoing || m.status !== 'received' || this.pendingDelivered.has(m.conversationId)) return
        this.pendingDelivered.add(m.conversationId)
        // One receipt per burst (a catch-up delivers many): sent after the burst's events.
        setTimeout(() => {
          this.pendingDelivered.delete(m.conversationId)
          this.sendDelivered(m.conversationId).catch(() => {}) // best effort: a lost one is covered by the next
        }, 0)
      })
    }
  }

  /**
   * Marks everything in this device's log read: the read marker moves at once (unread 0), then
   * a signed `read` receipt is sent (not across an open message request). Resolves with how many
   * messages were unread, once the receipt is acked (or at once when there is nothing new).
   */
  async markRead(c: Conversation): Promise<number> {
    const { core } = this.host
    const me = core.self().userId
    const { count } = await countUnread(core.store, c.id, me)
    // Under the lock the inbox writes with: a receipt of another device applied meanwhile never lowers the marker.
    const newest = await core.lock.run(async () => {
      const m = await newestIncoming(core.store, c.id)
      if (!m || m.seq <= (await readMarker(core.store, c.id, me))) return null
      await core.store.set(RK.readMarker(c.id), m.seq)
      return m
    })
    if (!newest) return count
    await this.unread.refresh(c.id)
    if (this.silent(c)) return count
    await this.host.enqueue(c, { text: '' }, { kind: 'read', messageId: newest.id, tf: newest.tf })
    return count
  }

  /** Per-member receipt state of `messageId` (every device with a mark at or after it, but the sender's). @throws {UnknownMessageError} */
  async receipts(c: Conversation, messageId: string): Promise<MemberReceipt[]> {
    if (typeof messageId !== 'string' || messageId.length === 0) throw new TypeError('"messageId" expected a non-empty string')
    const m = await findMessage(this.host.core.store, c.id, messageId)
    if (!m || (m.ref && m.ref.kind !== 'reply')) throw new UnknownMessageError(`message "${messageId}" is not in this device's log of the conversation`, { messageId })
    const book = await loadBook(this.host.core.store, c.id)
    const out: MemberReceipt[] = []
    for (const [userId, devices] of Object.entries(book)) {
      for (const [deviceId, marks] of Object.entries(devices)) {
        if (userId === m.sender.userId && deviceId === m.sender.deviceId) continue
        const mark = (marks.read?.seq ?? -1) >= m.seq ? { status: 'read' as const, ...marks.read! } : (marks.delivered?.seq ?? -1) >= m.seq ? { status: 'delivered' as const, ...marks.delivered! } : null
        if (mark) out.push({ userId, deviceId, ...mark })
      }
    }
    return out.sort((a, b) => (a.userId === b.userId ? (a.deviceId < b.deviceId ? -1 : 1) : a.userId < b.userId ? -1 : 1))
  }

  private async retryPending(conversationId: string): Promise<void> {
    const { core } = this.host
    if (!(await core.store.get(RK.pending(conversationId)))) return
    const applied = await core.lock.run(() => applyPending(core.store, conversationId, core.now()))
    for (const r of applied) {
      this.host.conversation(conversationId)?._emit('receipt', r)
      core.events.emit('receipt', r)
    }
  }

  /** No receipt leaves across an open message request (it stays unanswered) or to a peer this user blocked (docs/safety-controls.md). */
  private silent(c: Conversation): boolean {
    return c.request !== null || (c.kind === 'direct' && this.host.blocked(c.peerUserId))
  }

  private async sendDelivered(conversationId: string): Promise<void> {
    const { core } = this.host
    const c = this.host.conversation(conversationId)
    if (!c || this.silent(c)) return
    const newest = await newestIncoming(core.store, conversationId)
    if (!newest) return
    const sent = ((await core.store.get<number>(RK.deliveredSent(conversationId))) ?? -1)
    if (newest.seq <= sent || newest.seq <= (await readMarker(core.store, conversationId, core.self().userId))) return
    await core.store.set(RK.deliveredSent(conversationId), newest.seq)
    await this.host.enqueue(c, { text: '' }, { kind: 'delivered', messageId: newest.id, tf: newest.tf })
  }
}
