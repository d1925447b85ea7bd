/**
 * Receiving a receipt (docs/messages.md, "Receipts"; decisions 0019, 0021): a message whose
 * signed, franked reference is `{ kind: 'delivered' | 'read', messageId, tf }`, meaning "the
 * sending device stored / its user read everything up to and including the message committed to
 * by `tf`". By the time it gets here it passed every check of a message (members, mode pin,
 * franking, decryption in E2EE) and its sending device's signature. Its target is resolved like
 * every action's — by the commitment `tf` the receipt's sender franked, the id only a hint
 * (messages/find-message.ts) — so a server that re-points the id, or gives two messages one id,
 * moves no mark: the receipt applies to the message this device holds with that commitment, or
 * (an id naming another commitment) to nothing, with a `message_ref_mismatch` error. The target
 * must be a message (not an action) of this log below the receipt's own seq; marks only go up.
 */
import { UnknownMessageError, type ParleyError, type ReceiptKind } from '@parley/protocol'
import type { KeyStore, JsonValue } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import { resolveRef, type Changes } from '../messages/find-message.js'
import { loadBook, raiseMark, readMarker, RK } from './receipt-book.js'
import { expireReceipt } from './receipt-expiry.js'
import type { Receipt } from './types.js'

const read = async (store: KeyStore, changes: Changes, key: string): Promise<JsonValue | null> => (key in changes ? changes[key]! : await store.get<JsonValue>(key))

/** Most of this user's message ids one `'receipt'` event lists (the newest covered). */
export const MAX_RECEIPT_EVENT_IDS = 100
/** Most receipts kept per conversation waiting for their target (the oldest dropped first). */
export const MAX_PENDING_RECEIPTS = 100

/** True for a receipt reference. */
export const isReceiptKind = (kind: string): kind is ReceiptKind => kind === 'delivered' || kind === 'read'

/** False for a receipt message (left out of history pages and of a report's last N). */
export const notReceipt = (m: StoredMessage): boolean => !(m.ref && isReceiptKind(m.ref.kind))

/** What applying a receipt did. */
export type ReceiptApplied = { receipt: Receipt } | { error: ParleyError } | { nothing: true }

/**
 * Applies the receipt `action` (already stored in `changes`): raises its device's mark in the
 * conversation's receipt book and, for this user's own read receipts (any of its devices),
 * the read marker the unread count is computed from. Nothing is thrown.
 */
export async function applyReceipt(store: KeyStore, action: StoredMessage, changes: Changes, now: number): Promise<ReceiptApplied> {
  const ref = action.ref!
  const kind = ref.kind as ReceiptKind
  const resolved = await resolveRef(store, action.conversationId, ref, changes)
  if ('error' in resolved) return resolved // no `tf`, or the id names a message with another commitment
  // A target not held (yet): this device's own send whose ack is still on its way, or one from
  // before it joined. The receipt is stored; it is applied again when a message is stored (a
  // list of its own, not msgpend/: the receipt's events are emitted when it applies).
  if ('missing' in resolved) {
    const pending = ((await read(store, changes, RK.pending(action.conversationId))) as number[] | null) ?? []
    if (!pending.includes(action.seq)) changes[RK.pending(action.conversationId)] = [...pending, action.seq].slice(-MAX_PENDING_RECEIPTS)
    return { nothing: true }
  }
  const target = resolved.target
  // Its row goes no later than its target's (disappearing messages; receipt-expiry.ts).
  await expireReceipt(store, changes, action, target, now)
  if (target.ref && target.ref.kind !== 'reply') {
    return { error: new UnknownMessageError('a receipt refers to an action, not a message', { messageId: target.id }) }
  }
  // A receipt can only cover what came before it: the server ordered both.
  if (target.seq >= action.seq) return { nothing: true }
  const book = await loadBook(store, action.conversationId, changes)
  // What the user's devices had already marked: the ids listed are the ones this receipt adds for the user.
  const userPrev = Math.max(-1, ...Object.values(book[action.sender.userId] ?? {}).map((d) => d[kind]?.seq ?? -1))
  if (raiseMark(book, action.sender, kind, target.seq, action.ts) === null) return { nothing: true }
  changes[RK.book(action.conversationId)] = book as unknown as JsonValue
  if (action.outgoing && kind === 'read' && target.seq > (await readMarker(store, action.conversationId, action.sender.userId, changes))) {
    changes[RK.readMarker(action.conversationId)] = target.seq
  }
  const messageIds = action.outgoing ? [] : await ownBetween(store, changes, action.conversationId, userPrev, target.seq)
  return {
    receipt: {
      conversationId: action.conversationId, from: { ...action.sender }, status: kind, messageId: target.id, seq: target.seq, messageIds, ts: action.ts,
    },
  }
}

/**
 * Applies the receipts that were waiting for a target now held. Returns the receipts applied
 * (their events are the caller's to emit). Call under the client's lock.
 */
export async function applyPending(store: KeyStore, conversationId: string, now: number): Promise<Receipt[]> {
  const pending = ((await store.get<JsonValue>(RK.pending(conversationId))) as number[] | null) ?? []
  if (pending.length === 0) return []
  const changes: Changes = {}
  const left: number[] = []
  const applied: Receipt[] = []
  for (const seq of pending) {
    const action = (await store.get<JsonValue>(K.message(conversationId, seq))) as unknown as StoredMessage | null
    if (!action?.ref || !isReceiptKind(action.ref.kind)) continue
    if ('missing' in (await resolveRef(store, conversationId, action.ref, changes))) {
      left.push(seq)
      continue
    }
    const r = await applyReceipt(store, action, changes, now)
    if ('receipt' in r) applied.push(r.receipt)
  }
  changes[RK.pending(conversationId)] = left.length ? left : null
  await store.saveChanges(changes)
  return applied
}

/** This user's messages (not actions) with seq in (after, upTo], newest {@link MAX_RECEIPT_EVENT_IDS}, oldest first. */
async function ownBetween(store: KeyStore, changes: Changes, conversationId: string, after: number, upTo: number): Promise<string[]> {
  const prefix = K.messagePrefix(conversationId)
  const seqs = (await store.keys(prefix)).map((k) => Number(k.slice(prefix.length))).filter((s) => s > after && s <= upTo).sort((a, b) => b - a)
  const out: string[] = []
  for (const seq of seqs) {
    if (out.length >= MAX_RECEIPT_EVENT_IDS) break
    const key = K.message(conversationId, seq)
    const m = (key in changes ? changes[key] : await store.get<JsonValue>(key)) as unknown as StoredMessage | null
    if (m && m.outgoing && (!m.ref || m.ref.kind === 'reply')) out.push(m.id)
  }
  return out.reverse()
}
