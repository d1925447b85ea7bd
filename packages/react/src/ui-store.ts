/**
 * What the hooks keep across a reload, beside the client's own key store: the delivery ticks
 * of this user's messages (receipts are live events; the client's log does not keep them) and
 * the notices of each conversation (an upgrade notice is sent once). Any `KeyStore` works —
 * `indexedDbKeyStore({ name })` in a browser — and without one they live in memory.
 */
import type { Notice } from '@parley/protocol'
import type { JsonValue, KeyStore } from '@parley/client'

/** The part of a `KeyStore` the provider uses. */
export type UiStore = Pick<KeyStore, 'get' | 'set'>

/** Receipt states kept per conversation (newest kept, oldest dropped first). */
export const MAX_STORED_RECEIPTS = 1_000
/** Notices kept per conversation (newest kept). */
export const MAX_STORED_NOTICES = 100

/** A delivery state a peer's receipt can set. */
export type ReceiptState = 'delivered' | 'read'

const RANK: Record<ReceiptState, number> = { delivered: 1, read: 2 }

/** True when `next` moves a message forward (a late 'delivered' never undoes 'read'). */
export function isLater(next: ReceiptState, prev: ReceiptState | undefined): boolean {
  return prev === undefined || RANK[next] > RANK[prev]
}

const receiptsKey = (conversationId: string) => `ui/receipts/${conversationId}`
const noticesKey = (conversationId: string) => `ui/notices/${conversationId}`

function isReceiptState(v: unknown): v is ReceiptState {
  return v === 'delivered' || v === 'read'
}

/** Loads the receipts of a conversation; malformed data counts as none. */
export async function loadReceipts(store: UiStore, conversationId: string): Promise<Map<string, ReceiptState>> {
  const raw = await store.get<JsonValue>(receiptsKey(conversationId))
  const out = new Map<string, ReceiptState>()
  if (Array.isArray(raw)) {
    for (const pair of raw) {
      if (Array.isArray(pair) && typeof pair[0] === 'string' && isReceiptState(pair[1])) out.set(pair[0], pair[1])
    }
  }
  return out
}

/** Saves the newest {@link MAX_STORED_RECEIPTS} receipts (insertion order is arrival order). */
export async function saveReceipts(store: UiStore, conversationId: string, receipts: ReadonlyMap<string, ReceiptState>): Promise<void> {
  const pairs = [...receipts].slice(-MAX_STORED_RECEIPTS)
  await store.set(receiptsKey(conversationId), pairs as unknown as JsonValue)
}

/** Loads the notices of a conversation; entries without a known kind are dropped. */
export async function loadNotices(store: UiStore, conversationId: string): Promise<Notice[]> {
  const raw = await store.get<JsonValue>(noticesKey(conversationId))
  if (!Array.isArray(raw)) return []
  return raw.filter((n): n is Notice & JsonValue => typeof n === 'object' && n !== null && typeof (n as { kind?: unknown }).kind === 'string' && typeof (n as { ts?: unknown }).ts === 'number') as Notice[]
}

/** Saves the newest {@link MAX_STORED_NOTICES} notices. */
export async function saveNotices(store: UiStore, conversationId: string, notices: readonly Notice[]): Promise<void> {
  await store.set(noticesKey(conversationId), notices.slice(-MAX_STORED_NOTICES) as unknown as JsonValue)
}
