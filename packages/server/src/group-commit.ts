/**
 * Group commit: concurrent `message.send`s are appended in one store transaction. While one
 * batch commits, new sends queue; when it finishes, everything queued goes in the next batch.
 * No timer: an idle server commits a lone send at once, a busy one amortizes each commit over
 * up to `MAX_GROUP_COMMIT` messages. Every sender is acked only after its batch committed.
 */
import { StoreError } from '@parley/protocol'
import { MAX_GROUP_COMMIT } from './options.js'
import type { AppendOutcome, FrankingBinder, NewMessage, ParleyStore } from './store/store.js'

interface Pending {
  message: NewMessage
  resolve: (o: AppendOutcome) => void
}

/** Batches appends into as few transactions as the load allows. */
export class GroupCommitter {
  private queue: Pending[] = []
  private running = false
  /** Batch sizes committed (for metrics and tests). */
  readonly batchSizes: number[] = []

  constructor(
    private readonly store: ParleyStore,
    private readonly bind: FrankingBinder,
    private readonly now: () => number,
    private readonly onStoreError: (e: unknown) => void,
    private readonly maxBatch = MAX_GROUP_COMMIT,
  ) {}

  /** Appends one message; resolves once its batch has committed (or failed). Never rejects. */
  append(message: NewMessage): Promise<AppendOutcome> {
    return new Promise((resolve) => {
      this.queue.push({ message, resolve })
      if (!this.running) void this.pump()
    })
  }

  private async pump(): Promise<void> {
    this.running = true
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, this.maxBatch)
        if (this.batchSizes.length < 10_000) this.batchSizes.push(batch.length)
        let outcomes: AppendOutcome[]
        try {
          outcomes = await this.store.appendMessages(batch.map((p) => p.message), this.bind, this.now())
        } catch (e) {
          this.onStoreError(e)
          const error = new StoreError('the message could not be stored; nothing was written', {})
          outcomes = batch.map(() => ({ ok: false, error }))
        }
        batch.forEach((p, i) => p.resolve(outcomes[i] ?? { ok: false, error: new StoreError() }))
      }
    } finally {
      this.running = false
    }
  }
}
