/**
 * The operator API's reading of the audit log. `parley.moderation.auditLog` returns the log
 * oldest first, at most `MAX_MODERATION_PAGE` entries from `since` (ms, inclusive). Reading it
 * whole on every refresh goes stale after the first page (new actions vanish) and grows without
 * end, so the tail reads each entry once: page after page from a little before the last entry
 * seen (skipping the ids already folded), folding what is in force as it goes and keeping the
 * newest entries for the console. A restart reads the log once from the start.
 */
import { MAX_MODERATION_PAGE, type AuditEntry, type ModerationApi } from '@parley/server'
import { emptyFold, foldAudit, type ForceState } from './console/moderation-state.js'

/** Newest audit entries kept for the console. */
export const AUDIT_SHOWN = 100
/**
 * How far back each read starts before the newest entry seen, ms: an action stamped earlier
 * but committed later (two operators acting at once) is still picked up; ids already folded
 * are skipped.
 */
export const AUDIT_RESCAN_MS = 10_000

/** The audit log, read incrementally. */
export class AuditTail {
  private readonly fold = emptyFold()
  /** Newest last. */
  private recent: AuditEntry[] = []
  /** The newest `at` folded. */
  private cursor = 0
  /** Ids folded within the rescan window before `cursor`, with their `at`. */
  private readonly seen = new Map<number, number>()
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
    return [...this.recent].sort((a, b) => b.at - a.at || b.id - a.id)
  }

  /** What is in force, limited to the conversations, messages and devices (`userId/deviceId`) the caller shows (suspensions: all). */
  force(conversations: ReadonlySet<string>, messages: ReadonlySet<string>, devices: ReadonlySet<string> = new Set()): ForceState {
    return {
      suspended: [...this.fold.suspended].map(([userId, until]) => ({ userId, until })),
      revoked: [...this.fold.revoked].filter((d) => devices.has(d)),
      closed: [...this.fold.closed].filter((c) => conversations.has(c)),
      removed: [...this.fold.removed].filter((m) => messages.has(m)),
    }
  }

  private async read(): Promise<void> {
    let since = Math.max(0, this.cursor - AUDIT_RESCAN_MS)
    for (;;) {
      const page = await this.moderation.auditLog({ since, limit: this.pageSize })
      let fresh = 0
      for (const e of page) {
        if (this.seen.has(e.id)) continue
        this.seen.set(e.id, e.at)
        foldAudit(this.fold, e)
        this.recent.push(e)
        this.count++
        fresh++
        if (e.at > this.cursor) this.cursor = e.at
      }
      if (this.recent.length > AUDIT_SHOWN) this.recent = this.newest().slice(0, AUDIT_SHOWN).reverse()
      // A short page is the end. A full page goes on from its last entry's ms — unless that is
      // where it started and nothing was new: more than a page share one ms, which `since`
      // cannot get past (not reachable by human operators; stop rather than spin).
      const lastAt = page.at(-1)?.at
      if (page.length < this.pageSize || lastAt === undefined || (lastAt === since && fresh === 0)) break
      since = lastAt
    }
    for (const [id, at] of this.seen) if (at < this.cursor - AUDIT_RESCAN_MS) this.seen.delete(id)
  }
}
