/**
 * Tombstones of expired seqs, and their bound (docs/messages.md "Disappearing messages",
 * decisions 0023 §4 and 0025). Each expired message leaves `gone/<conversation>/<seq>` (its value
 * the message's franking commitment), so neither a server's redelivery nor a readable server-
 * history row can bring it back. Left alone they grow by one key per expired message for good,
 * so a conversation keeps at most {@link MAX_TOMBSTONES_PER_CONVERSATION}: past that, the lowest
 * are folded into one range `gonefloor/<conversation>` = `{ from, to }`, and every seq in that
 * range that this device does not hold counts as expired. The replay guard stays whole: a
 * folded seq is refused exactly as a tombstoned one. The price: a message in that range that
 * this device never held (one the server withheld past later messages' expiry) is refused like
 * an expired one — no worse than the server withholding it, which it can always do.
 */
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { K } from '../store-layout.js'

/** Most tombstones one conversation keeps before the lowest are folded into its range. */
export const MAX_TOMBSTONES_PER_CONVERSATION = 1_000

const pad = (n: number) => String(n).padStart(16, '0')
/** The tombstone prefix of a conversation's expired seqs. */
export const gonePrefix = (conversationId: string) => `gone/${conversationId}/`
/** The tombstone of one expired seq. */
export const goneKey = (conversationId: string, seq: number) => `${gonePrefix(conversationId)}${pad(seq)}`
/** Key prefix of the folded ranges (carried by snapshots with the tombstones). */
export const GONE_FLOOR_PREFIX = 'gonefloor/'
const floorKey = (conversationId: string) => `${GONE_FLOOR_PREFIX}${conversationId}`
/**
 * A conversation whose carried tombstones still await an outside bound (`gone-unbounded/<conversation>`,
 * written on import, cleared by {@link boundCarriedTombstones}; never carried itself).
 */
export const GONE_UNBOUNDED_PREFIX = 'gone-unbounded/'

/** Seqs `from..to` (inclusive) that count as expired unless held. */
interface GoneRange { from: number; to: number }

const isRange = (v: unknown): v is GoneRange =>
  !!v && typeof v === 'object' && Number.isSafeInteger((v as GoneRange).from) && Number.isSafeInteger((v as GoneRange).to)

async function rangeOf(store: KeyStore, conversationId: string): Promise<GoneRange | null> {
  const r = await store.get<JsonValue>(floorKey(conversationId))
  return isRange(r) ? r : null
}

/**
 * Import (backup/snapshot.ts): a carried range is trusted only as far as the snapshot backs it
 * (review L1). Whoever writes the backup or transfer blob could otherwise carry `{ from: 0,
 * to: 2^53-1 }` and the restored device would drop every later delivery. A real range lies
 * below the tombstones kept above it, so each `to` is capped at the highest `msg/` or `gone/`
 * seq the snapshot holds for its conversation; a range that is malformed, has `from > to`, or
 * has no such seq is dropped. Mutates `changes`.
 *
 * That cap alone is the blob's word against itself: one more record `gone/<conversation>/2^53-1`
 * (review of 2026-12-03, second round, L1) lifts it to the maximum. So each conversation with
 * carried tombstones is also marked {@link GONE_UNBOUNDED_PREFIX}, and the first sync caps its
 * range by the server's head seq and the seqs held ({@link boundCarriedTombstones}).
 */
export function capCarriedRanges(changes: Record<string, JsonValue>): void {
  const highest = new Map<string, number>()
  for (const key of Object.keys(changes)) {
    const prefix = key.startsWith('msg/') ? 4 : key.startsWith('gone/') ? 5 : 0
    const cut = key.lastIndexOf('/')
    if (!prefix || cut < prefix || !/^\d{16}$/.test(key.slice(cut + 1))) continue
    const conversationId = key.slice(prefix, cut)
    if (prefix === 5) changes[`${GONE_UNBOUNDED_PREFIX}${conversationId}`] = 1
    highest.set(conversationId, Math.max(highest.get(conversationId) ?? -1, Number(key.slice(cut + 1))))
  }
  for (const [key, value] of Object.entries(changes)) {
    if (!key.startsWith(GONE_FLOOR_PREFIX)) continue
    const top = highest.get(key.slice(GONE_FLOOR_PREFIX.length))
    const range = isRange(value) ? { from: value.from, to: top === undefined ? -1 : Math.min(value.to, top) } : null
    if (range && range.from >= 0 && range.from <= range.to) {
      changes[key] = range as unknown as JsonValue
      changes[`${GONE_UNBOUNDED_PREFIX}${key.slice(GONE_FLOOR_PREFIX.length)}`] = 1
    } else delete changes[key]
  }
}

/**
 * First connect after an import: caps the carried range of each marked conversation at the
 * higher of its head seq in the server's conversation list and the highest seq this device holds
 * a message at in it (review L1). The tombstones themselves stay (review of 2026-12-03, third
 * round, L3): each hides one seq, so a forged `gone/<conversation>/2^53-1` hides nothing real,
 * while dropping them on the head's word let a server claiming `lastSeq: 0` bring back every
 * expired message it still holds. The head is the server's word and the held messages the blob's
 * (which shows them as history anyway), so a lying low head no longer cuts the range below
 * what this device holds. A conversation not in the list keeps its mark until it is.
 */
export async function boundCarriedTombstones(store: KeyStore, heads: ReadonlyMap<string, number>): Promise<void> {
  for (const mark of await store.keys(GONE_UNBOUNDED_PREFIX)) {
    const conversationId = mark.slice(GONE_UNBOUNDED_PREFIX.length)
    const head = heads.get(conversationId)
    if (head === undefined) continue
    const changes: Record<string, JsonValue | null> = { [mark]: null }
    const held = K.message(conversationId, 0).slice(0, -16) // `msg/<conversation>/`
    let top = head
    for (const key of await store.keys(held)) {
      const seq = Number(key.slice(held.length))
      if (Number.isSafeInteger(seq) && seq > top) top = seq
    }
    const r = await rangeOf(store, conversationId)
    if (r && r.to > top) changes[floorKey(conversationId)] = r.from <= top ? { from: r.from, to: top } : null
    await store.saveChanges(changes)
  }
}

/** True when this device expired the message at `seq` (it is never logged or shown again). */
export async function isExpiredSeq(store: KeyStore, conversationId: string, seq: number): Promise<boolean> {
  if ((await store.get<JsonValue>(goneKey(conversationId, seq))) !== null) return true
  const r = await rangeOf(store, conversationId)
  // In the range, a seq this device holds (an untimed message between expired ones) is live.
  return r !== null && seq >= r.from && seq <= r.to && (await store.get<JsonValue>(K.message(conversationId, seq))) === null
}

/**
 * A test for the expired seqs of a conversation, for seqs this device does not hold (history
 * leaves them out of server rows; the log's own rows are shown from the log).
 */
export async function expiredSeqs(store: KeyStore, conversationId: string): Promise<{ has(seq: number): boolean }> {
  const prefix = gonePrefix(conversationId)
  const seqs = new Set((await store.keys(prefix)).map((k) => Number(k.slice(prefix.length))))
  const r = await rangeOf(store, conversationId)
  return { has: (seq) => seqs.has(seq) || (r !== null && seq >= r.from && seq <= r.to) }
}

/**
 * Folds the lowest tombstones of `conversationId` into its range when it holds more than `max`
 * (down to half of `max`, so the work is paid once per `max / 2` expiries), and drops their
 * commitment-index entries, written in one batch. Returns how many were folded.
 */
export async function pruneTombstones(store: KeyStore, conversationId: string, max = MAX_TOMBSTONES_PER_CONVERSATION): Promise<number> {
  const prefix = gonePrefix(conversationId)
  const keys = (await store.keys(prefix)).sort() // padded seqs: string order is seq order
  if (keys.length <= max) return 0
  const folded = keys.slice(0, keys.length - Math.floor(max / 2))
  const seqs = folded.map((k) => Number(k.slice(prefix.length)))
  const held = await rangeOf(store, conversationId)
  const changes: Record<string, JsonValue | null> = {
    [floorKey(conversationId)]: { from: Math.min(held?.from ?? seqs[0]!, seqs[0]!), to: Math.max(held?.to ?? 0, seqs.at(-1)!) },
  }
  for (const [i, key] of folded.entries()) {
    changes[key] = null
    // The commitment entry let a late action on this message be recognised and dropped
    // (messages/receive.ts); past the bound it goes too (tombstones from before 0025 hold no tf).
    const tf = await store.get<JsonValue>(key)
    if (typeof tf === 'string' && (await store.get<JsonValue>(K.messageTf(conversationId, tf))) === seqs[i]) changes[K.messageTf(conversationId, tf)] = null
  }
  await store.saveChanges(changes)
  return folded.length
}
