/**
 * Group commit: concurrent `message.send`s are appended in one store transaction. While a
 * batch commits, new sends queue; when it finishes, everything queued goes in the next batch.
 * No timer: an idle server commits a lone send at once, a busy one amortizes each commit over
 * up to `MAX_GROUP_COMMIT` messages. Every sender is acked only after its batch committed.
 *
 * Several batches may commit at once (up to `maxConcurrent`), but only when they touch
 * disjoint users: a send carries lock keys (the conversation's member user ids), and a send
 * whose keys overlap a committing batch waits for it. So every device's inbox rows are written
 * and pushed by one batch at a time, in inbox-id order (clients drop an inbox id at or below
 * their cursor, so a device must never see id 6 before 5), and a conversation's messages keep
 * their arrival order. A send without keys runs alone, as with `maxConcurrent` = 1.
 *
 * Other writers of inbox rows (a mode upgrade) run through `runAlone(keys, fn)`: in the same
 * queue, alone, holding the same keys, so their rows are pushed in order with the sends'.
 *
 * A batch is bounded by bytes too (`maxBatchBytes`, at least one send): PGlite's WASM heap
 * grows to hold a transaction's whole statement data and never shrinks, so 60 sends of four
 * 256 KiB attachments in one batch left the process ~335 MB larger for good.
 */
import { StoreError } from '@parley/protocol'
import { MAX_GROUP_COMMIT, MAX_GROUP_COMMIT_BYTES } from './options.js'
import type { AppendOutcome, FrankingBinder, NewMessage, ParleyStore } from './store/store.js'

type Pending =
  | { message: NewMessage; task?: undefined; keys: readonly string[] | undefined; resolve: (o: AppendOutcome) => void }
  | { task: () => Promise<void>; message?: undefined; keys: readonly string[]; resolve: (o: AppendOutcome) => void }

/** What a queued send adds to its batch's statement data, in characters of base64 (≈ bytes). */
export function pendingBytes(message: NewMessage | undefined): number {
  if (!message) return 0
  let n = message.sealedBody?.data.length ?? 0
  for (const e of message.envelopes ?? []) n += e.ciphertext.length
  for (const a of message.attachments ?? []) n += a.ciphertext.length
  n += message.senderKey?.ciphertext.length ?? 0
  return n
}

/** Batches appends into as few transactions as the load allows. */
export class GroupCommitter {
  private queue: Pending[] = []
  private inflight = 0
  /** Lock keys held by committing batches (key → number of batches holding it). */
  private readonly busy = new Map<string, number>()
  /** A committing batch holds a send without keys: nothing else may start. */
  private exclusive = false
  private scheduled = false
  /** Batch sizes committed (for metrics and tests). */
  readonly batchSizes: number[] = []

  constructor(
    private readonly store: ParleyStore,
    private readonly bind: FrankingBinder,
    private readonly now: () => number,
    private readonly onStoreError: (e: unknown) => void,
    private readonly maxBatch = MAX_GROUP_COMMIT,
    private readonly maxConcurrent = 1,
    private readonly maxBatchBytes = MAX_GROUP_COMMIT_BYTES,
  ) {}

  /** How many of the queue's first `limit` sends fit the byte budget (always at least one). */
  private fitting(limit: number): number {
    let bytes = 0
    let n = 0
    for (; n < Math.min(limit, this.queue.length); n++) {
      bytes += pendingBytes(this.queue[n]!.message)
      if (n > 0 && bytes > this.maxBatchBytes) break
    }
    return n
  }

  /**
   * Appends one message; resolves once its batch has committed (or failed). Never rejects.
   * `lockKeys` (the user ids whose devices the message reaches) let it commit beside batches
   * for other users; without them it commits alone.
   */
  append(message: NewMessage, lockKeys?: readonly string[]): Promise<AppendOutcome> {
    return new Promise((resolve) => this.enqueue({ message, keys: lockKeys, resolve }))
  }

  /**
   * Runs `fn` alone, after every queued send and task that shares one of `lockKeys`, holding
   * them until it settles; what is queued after it and shares a key waits for it. Resolves or
   * rejects as `fn` does.
   */
  runAlone<T>(lockKeys: readonly string[], fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const task = () => fn().then(resolve, reject)
      this.enqueue({ task, keys: lockKeys, resolve: () => undefined })
    })
  }

  private enqueue(p: Pending): void {
    this.queue.push(p)
    // Idle: commit at once. Busy: let the frames read in this I/O turn join one batch
    // rather than each starting a tiny concurrent one.
    if (this.inflight === 0) this.pump()
    else if (!this.scheduled) {
      this.scheduled = true
      setImmediate(() => {
        this.scheduled = false
        this.pump()
      })
    }
  }

  private pump(): void {
    while (this.inflight < this.maxConcurrent && this.queue.length && !this.exclusive) {
      const batch = this.take()
      if (!batch.length) return
      this.inflight++
      void this.commit(batch)
    }
  }

  /**
   * The next batch: queued sends, in order, whose keys no committing batch holds; or a task
   * alone, when nothing before it holds or waits for its keys.
   */
  private take(): Pending[] {
    if (this.inflight === 0 && this.queue[0]?.task) {
      const batch = this.queue.splice(0, 1)
      this.hold(batch)
      return batch
    }
    if (this.inflight === 0 && !this.queue.some((p) => p.task)) {
      const batch = this.queue.splice(0, this.fitting(this.maxBatch))
      this.hold(batch)
      return batch
    }
    const batch: Pending[] = []
    const rest: Pending[] = []
    // Keys of sends left waiting: a later send sharing one must wait too (order).
    const blocked = new Set<string>()
    let bytes = 0
    let i = 0
    for (; i < this.queue.length && batch.length < this.maxBatch; i++) {
      const p = this.queue[i]!
      if (!p.keys) break // runs alone, after everything before it
      // Over the byte budget: the batch ends here (this send and the rest wait their turn).
      if (batch.length > 0 && bytes + pendingBytes(p.message) > this.maxBatchBytes) break
      const waits = p.keys.some((k) => this.busy.has(k) || blocked.has(k))
      if (p.task && !waits && batch.length === 0) {
        batch.push(p)
        i++
        break
      }
      if (waits || p.task) {
        for (const k of p.keys) blocked.add(k)
        rest.push(p)
      } else {
        batch.push(p)
        bytes += pendingBytes(p.message)
      }
    }
    if (batch.length) {
      this.queue = i < this.queue.length ? rest.concat(this.queue.slice(i)) : rest
      this.hold(batch)
    }
    return batch
  }

  private hold(batch: Pending[]): void {
    for (const p of batch) {
      if (!p.keys) this.exclusive = true
      else for (const k of p.keys) this.busy.set(k, (this.busy.get(k) ?? 0) + 1)
    }
  }

  private release(batch: Pending[]): void {
    for (const p of batch) {
      if (!p.keys) this.exclusive = false
      else {
        for (const k of p.keys) {
          const n = this.busy.get(k)! - 1
          if (n) this.busy.set(k, n)
          else this.busy.delete(k)
        }
      }
    }
  }

  private async commit(batch: Pending[]): Promise<void> {
    const task = batch[0]?.task
    if (task) {
      // After the previous batches' senders have run their deliveries (microtasks of this turn).
      await new Promise((r) => setImmediate(r))
      await task()
      this.release(batch)
      this.inflight--
      this.pump()
      return
    }
    if (this.batchSizes.length < 10_000) this.batchSizes.push(batch.length)
    let outcomes: AppendOutcome[]
    try {
      outcomes = await this.store.appendMessages(batch.map((p) => p.message!), this.bind, this.now())
    } catch (e) {
      this.onStoreError(e)
      const error = new StoreError('the message could not be stored; nothing was written', {})
      outcomes = batch.map(() => ({ ok: false, error }))
    }
    this.release(batch)
    this.inflight--
    batch.forEach((p, i) => p.resolve(outcomes[i] ?? { ok: false, error: new StoreError() }))
    this.pump()
  }
}
