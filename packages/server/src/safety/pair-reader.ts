/**
 * Coalesces the safety reads of concurrent frames (every send, typing indicator and receipt
 * asks "does either block the other, is this an open request?") into one store query, as the
 * group commit does for writes: a read waits for the end of its I/O turn (the other frames
 * read in the same turn join it) and leaves in the next batch once fewer than
 * {@link CONCURRENT_PAIR_READS} are in flight.
 * One query per send halved PostgreSQL throughput in bench/relay; batched, the reads cost a
 * fraction of a query each under load. Even an idle reader waits for the end of the turn: an
 * engine that runs queries synchronously (PGlite) finishes a lone read before the next frame
 * of the same turn is handled, so "at once when idle" sent every read of a busy turn alone —
 * 12,335 statements for 10,000 sends in bench/relay's 1,000 pairs, each ~0.6 ms of parsing and
 * planning in PGlite whether it asks 1 question or 50. Reads only: a batch sees the store as of
 * its query, as a lone read would. A batch asks each distinct question once: one pair with many
 * sends in flight asks the same one dozens of times per batch, and the store would look up the
 * same rows for each (each caller still gets its own answer object).
 */
import type { PairQuery, PairSafety, SafetyStore } from '../store/safety-store.js'

/** Most pair queries in one store call. */
export const MAX_PAIR_BATCH = 256
/** Pair reads in flight at once (per store). */
export const CONCURRENT_PAIR_READS = 2

interface Waiting {
  query: PairQuery
  resolve(value: PairSafety): void
  reject(error: unknown): void
}

/** The batching reader of one safety store. */
export class PairReader {
  private readonly queue: Waiting[] = []
  private running = 0
  private scheduled = false

  constructor(private readonly store: SafetyStore) {}

  /** The safety state between `a` and `b` (and the request of `conversationId`). */
  read(a: string, b: string, conversationId?: string): Promise<PairSafety> {
    return new Promise((resolve, reject) => {
      this.queue.push({ query: { a, b, ...(conversationId !== undefined ? { conversationId } : {}) }, resolve, reject })
      // Let this turn's frames gather first (a burst of sends then costs one query, not one each).
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => {
          this.scheduled = false
          this.pump()
        })
      }
    })
  }

  private pump(): void {
    while (this.running < CONCURRENT_PAIR_READS && this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_PAIR_BATCH)
      this.running++
      const { distinct, slot } = dedupe(batch)
      // A store (an integrator's may) that throws rather than rejects fails this batch alone.
      Promise.resolve().then(() => this.store.pairs(distinct)).then((results) => {
        // A store that answers fewer questions than asked must not read as "nobody blocks anybody".
        if (results.length !== distinct.length) throw new Error(`safety store answered ${results.length} of ${distinct.length} pair queries`)
        batch.forEach((w, i) => w.resolve({ ...results[slot[i]!]! }))
      }).catch((error: unknown) => batch.forEach((w) => w.reject(error))).finally(() => {
        this.running--
        this.pump()
      })
    }
  }
}

/** An unambiguous key of a query (each part length-prefixed: ids may hold any character). */
const queryKey = (q: PairQuery) =>
  `${q.a.length}:${q.a}${q.b.length}:${q.b}${q.conversationId === undefined ? '-' : `${q.conversationId.length}:${q.conversationId}`}`

/** The batch's distinct queries, in first-seen order, and each waiter's index among them. */
function dedupe(batch: readonly Waiting[]): { distinct: PairQuery[]; slot: number[] } {
  const index = new Map<string, number>()
  const distinct: PairQuery[] = []
  const slot = batch.map((w) => {
    const k = queryKey(w.query)
    let i = index.get(k)
    if (i === undefined) {
      index.set(k, (i = distinct.length))
      distinct.push(w.query)
    }
    return i
  })
  return { distinct, slot }
}

const readers = new WeakMap<SafetyStore, PairReader>()

/** The reader of `store` (one per store, so every handler on a node shares its batches). */
export function pairReader(store: SafetyStore): PairReader {
  let r = readers.get(store)
  if (!r) readers.set(store, (r = new PairReader(store)))
  return r
}
