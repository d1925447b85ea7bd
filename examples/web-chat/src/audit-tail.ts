/**
 * The operator API's reading of the audit log. `parley.moderation.auditLog` returns the log
 * oldest first, at most `MAX_MODERATION_PAGE` entries from `since` (ms, inclusive). Reading it
 * whole on every refresh goes stale after the first page (new actions vanish) and grows without
 * end, so the tail reads each entry once: page after page from the time of the last entry seen
 * (skipping the ids already folded at that very ms), folding what is in force as it goes and
 * keeping the newest entries for the console. A restart reads the log once from the start.
 */
import { MAX_MODERATION_PAGE, type AuditEntry, type ModerationApi } from '@parley/server'
import { emptyFold, foldAudit, type ForceState } from './console/moderation-state.js'

/** Newest audit entries kept for the console. */
export const AUDIT_SHOWN = 100

/** The audit log, read incrementally. */
export class AuditTail {
  private readonly fold = emptyFold()
  /** Newest last. */
  private recent: AuditEntry[] = []
  private cursor = 0
  /** Ids already folded whose `at` equals `cursor` (the next page starts at that ms again). */
  private atCursor = new Set<number>()
  private count = 0
  private syncing: Promise<void> | null = null

  constructor(private readonly moderation: Pick<ModerationApi, 'auditLog'>, private readonly pageSize = MAX_MODERATION_PAGE) {}

  /** Reads every entry appended since the last call. Concurrent calls share one read. */
  sync(): Promise<void> {
    this.syncing ??= this.read().finally(() => {
      this.syncing = null
    })
    return this.syncing
  }

  /** Entries read so far. */
  get total(): number {
    return this.count
  }

  /** The newest entries, newest first (at most {@link AUDIT_SHOWN}). */
  newest(): AuditEntry[] {
    return [...this.recent].reverse()
  }

  /** What is in force, limited to the conversations and messages the caller shows (suspensions: all). */
  force(conversations: ReadonlySet<string>, messages: ReadonlySet<string>): ForceState {
    return {
      suspended: [...this.fold.suspended].map(([userId, until]) => ({ userId, until })),
      closed: [...this.fold.closed].filter((c) => conversations.has(c)),
      removed: [...this.fold.removed].filter((m) => messages.has(m)),
    }
  }

  private async read(): Promise<void> {
    for (;;) {
      const page = await this.moderation.auditLog({ since: this.cursor, limit: this.pageSize })
      let fresh = 0
      for (const e of page) {
        if (e.at < this.cursor || (e.at === this.cursor && this.atCursor.has(e.id))) continue
        if (e.at > this.cursor) {
          this.cursor = e.at
          this.atCursor = new Set()
        }
        this.atCursor.add(e.id)
        foldAudit(this.fold, e)
        this.recent.push(e)
        this.count++
        fresh++
      }
      if (this.recent.length > AUDIT_SHOWN) this.recent = this.recent.slice(-AUDIT_SHOWN)
      // A short page is the end; a full page of nothing new means more than a page share one
      // ms, which `since` cannot get past (not reachable by a human operator; stop, not spin).
      if (page.length < this.pageSize || fresh === 0) return
    }
  }
}
