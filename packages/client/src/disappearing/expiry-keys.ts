/**
 * The key-store records of message expiry (decisions 0023, 0025; timers.ts writes and sweeps
 * them). `exp/<at>/<conversation>/<seq>` is the one the sweep reads, in key order, so the time
 * comes first. Beside it `expof/<conversation>/<seq>` = `at` finds a seq's expiry with one read:
 * a receipt takes its target's (receipt-expiry.ts) without listing every `exp/` key (review of
 * 2026-12-03, L2: 13 ms per receipt at 200k keys). Snapshots carry `exp/` but not the index, and
 * stores written before it have none: `buildExpiryIndex` makes it once on start. `exp-wait/`
 * holds an untimed seq logged while its conversation's carried pin waited (review L3): when the
 * pin settles it gets the expiry of the setting then pinned.
 */
import type { JsonValue, KeyStore } from '../key-store/key-store.js'

const pad = (n: number) => String(n).padStart(16, '0')
/** The prefix the sweep reads. */
export const EXPIRY_PREFIX = 'exp/'
const INDEX_PREFIX = 'expof/'
/** Set once the index covers every `exp/` key. */
const EXPIRY_INDEX_BUILT = 'expiry-index/built'

/** The key of one expiry (the sweep reads `exp/` in key order, so the time comes first). */
export const expiryKey = (at: number, conversationId: string, seq: number) => `${EXPIRY_PREFIX}${pad(at)}/${encodeURIComponent(conversationId)}/${pad(seq)}`
/** The index entry of one seq's expiry (its value: the time of its `exp/` key). */
export const expiryIndexKey = (conversationId: string, seq: number) => `${INDEX_PREFIX}${encodeURIComponent(conversationId)}/${pad(seq)}`
/** The prefix of every seq waiting for its conversation's carried pin to settle. */
export const WAIT_PREFIX = 'exp-wait/'
/** The prefix of a conversation's seqs waiting for their carried pin to settle. */
export const waitPrefix = (conversationId: string) => `${WAIT_PREFIX}${encodeURIComponent(conversationId)}/`
/** The waiting record of one untimed seq (a message's, or a receipt's: receipt-expiry.ts). */
export const expiryWaitKey = (conversationId: string, seq: number) => `${waitPrefix(conversationId)}${pad(seq)}`

/** When the logged `seq` of `conversationId` expires (ms since epoch), or null when it has no expiry. */
export async function recordedExpiry(store: KeyStore, conversationId: string, seq: number): Promise<number | null> {
  const at = await store.get<JsonValue>(expiryIndexKey(conversationId, seq))
  return typeof at === 'number' ? at : null
}

/** Indexes every `exp/` key by its seq, once (the earliest wins when a seq has two). */
export async function buildExpiryIndex(store: KeyStore): Promise<void> {
  if ((await store.get<JsonValue>(EXPIRY_INDEX_BUILT)) !== null) return
  const changes: Record<string, JsonValue> = { [EXPIRY_INDEX_BUILT]: 1 }
  for (const key of await store.keys(EXPIRY_PREFIX)) {
    // `exp/<16-digit at>/<encoded conversation>/<16-digit seq>`
    const at = Number(key.slice(EXPIRY_PREFIX.length, EXPIRY_PREFIX.length + 16))
    const rest = key.slice(EXPIRY_PREFIX.length + 17)
    const cut = rest.lastIndexOf('/')
    const seq = Number(rest.slice(cut + 1))
    if (cut < 0 || !Number.isSafeInteger(at) || !Number.isSafeInteger(seq)) continue
    const index = `${INDEX_PREFIX}${rest.slice(0, cut)}/${pad(seq)}`
    const held = changes[index]
    if (typeof held !== 'number' || at < held) changes[index] = at
  }
  await store.saveChanges(changes)
}
