/**
 * `ModerationStore`: what moderators decide, kept apart from message storage (`store.moderation`).
 * Suspensions, revoked devices, closed conversations and report resolutions, each written in
 * ONE transaction with its audit-log entry, so the log never misses an action and an action
 * never lands without its entry. Memory and SQL implement it and run one conformance suite.
 */
import type { ModerationActionKind } from '@parley/protocol'
import type { SealedReport, StoredMessage } from './store.js'

/** Who did what, when and why: one append-only row per moderator action. */
export interface AuditEntry {
  /** Store-assigned, increasing. */
  id: number
  at: number
  /** The moderator (an operator id of the integrator's choosing). */
  actor: string
  action: AuditAction
  /** What the action was on: a user, device, conversation, message or report id. */
  target: string
  reason: string
  /** Structured extras (e.g. `until`, `resolution`, `messageId`); never message content. */
  details: Record<string, string | number | boolean | null>
}

/** Every action that lands in the audit log (the plugin contract's `ModerationActionKind`). */
export type AuditAction = ModerationActionKind

/** What a new audit entry says; the store assigns `id`. */
export type NewAuditEntry = Omit<AuditEntry, 'id'>

/** An active or past suspension of a user. */
export interface Suspension {
  userId: string
  /** When it ends (ms since epoch); absent: until lifted. */
  until?: number
  reason: string
  by: string
  at: number
}

/** A moderator's closure of a conversation. */
export interface Closure {
  conversationId: string
  reason: string
  by: string
  at: number
}

/** Where a report stands in the moderation queue. */
export type ReportStatus = 'open' | 'resolved'

/** A report in the queue: what it is looked up by and its status (the content stays sealed). */
export interface ReportQueueEntry {
  reporterUserId: string
  reportId: string
  conversationId: string
  receivedAt: number
  status: ReportStatus
  resolution?: string
  note?: string
  resolvedBy?: string
  resolvedAt?: number
}

/** A stored message as a disclosure export sees it: the row plus what its envelopes weigh. */
export interface HeldMessage {
  message: StoredMessage
  /** E2EE: how many per-device envelopes the server holds for it, and their bytes. */
  envelopes: number
  envelopeBytes: number
}

/** How a report was resolved. */
export interface ReportResolution {
  resolution: string
  note?: string
  by: string
  at: number
}

export interface ModerationStore {
  /** Records (or replaces) a suspension and its audit entry, in one transaction. */
  suspend(s: Suspension, audit: NewAuditEntry): Promise<void>
  /** Lifts a suspension. Returns false (and writes nothing) when the user was not suspended. */
  unsuspend(userId: string, audit: NewAuditEntry): Promise<boolean>
  /** The user's suspension in force at `now`, if any (an expired one is none). */
  suspension(userId: string, now: number): Promise<Suspension | null>
  /** Records a revoked device and its audit entry. Idempotent for the device. */
  revokeDevice(userId: string, deviceId: string, audit: NewAuditEntry): Promise<void>
  isRevoked(userId: string, deviceId: string): Promise<boolean>
  /**
   * Closes a conversation and writes its audit entry. Idempotent: the first closure stays, and
   * closing a closed conversation writes nothing (`created: false`).
   */
  closeConversation(c: Closure, audit: NewAuditEntry): Promise<{ closure: Closure; created: boolean }>
  closure(conversationId: string): Promise<Closure | null>
  /**
   * Resolves a report once. @throws {NotFoundError} unknown report.
   * @throws {ReportResolvedError} already resolved (nothing written).
   */
  resolveReport(reporterUserId: string, reportId: string, r: ReportResolution, audit: NewAuditEntry): Promise<ReportQueueEntry>
  /** The report queue, newest first, optionally by status. */
  listReports(filter: { status?: ReportStatus; limit: number }): Promise<ReportQueueEntry[]>
  /** Messages of a conversation with `from <= ts < to`, oldest first (what the server holds). */
  heldMessages(conversationId: string, from: number, to: number, limit: number): Promise<HeldMessage[]>
  /** Every report users submitted about a conversation, sealed as stored. */
  reportsIn(conversationId: string): Promise<SealedReport[]>
  /** Appends an audit entry on its own (actions whose effect lives elsewhere). */
  audit(entry: NewAuditEntry): Promise<AuditEntry>
  /** Audit entries with `at >= since`, oldest first. */
  auditLog(filter: { since?: number; limit: number }): Promise<AuditEntry[]>
}

/** The queue entry of a stored report, before any resolution. */
export function openEntry(r: SealedReport): ReportQueueEntry {
  return { reporterUserId: r.reporterUserId, reportId: r.reportId, conversationId: r.conversationId, receivedAt: r.receivedAt, status: 'open' }
}
