/**
 * `ModerationStore` in memory (tests, the memory store). Same behaviour as the SQL one; the
 * conformance suite runs both.
 */
import { NotFoundError, ReportResolvedError } from '@parley/protocol'
import {
  openEntry, type AuditEntry, type Closure, type ModerationStore, type ReportQueueEntry, type Suspension,
} from './moderation-store.js'
import type { SealedReport, StoredMessage } from './store.js'
import { base64Bytes } from './_base64-size.js'

/** What the memory store lends the moderation store to read (its reports, messages, envelopes). */
export interface MemoryHoldings {
  reports(): Iterable<SealedReport>
  messages(): Iterable<StoredMessage>
  /** The base64 ciphertexts of every envelope held for a message. */
  envelopes(messageId: string): string[]
}

export function memoryModerationStore(held: MemoryHoldings): ModerationStore {
  const reports = () => held.reports()
  const suspensions = new Map<string, Suspension>()
  const revoked = new Set<string>()
  const closures = new Map<string, Closure>()
  const resolutions = new Map<string, ReportQueueEntry>()
  const log: AuditEntry[] = []
  const append = (e: Omit<AuditEntry, 'id'>): AuditEntry => {
    const entry = structuredClone({ ...e, id: log.length + 1 })
    log.push(entry)
    return structuredClone(entry)
  }
  const reportKey = (userId: string, reportId: string) => `${userId}\n${reportId}`
  const find = (userId: string, reportId: string) => [...reports()].find((r) => r.reporterUserId === userId && r.reportId === reportId)

  return {
    async suspend(s, audit) {
      suspensions.set(s.userId, structuredClone(s))
      append(audit)
    },
    async unsuspend(userId, audit) {
      if (!suspensions.delete(userId)) return false
      append(audit)
      return true
    },
    async suspension(userId, now) {
      const s = suspensions.get(userId)
      return s && (s.until === undefined || s.until > now) ? structuredClone(s) : null
    },
    async revokeDevice(userId, deviceId, audit) {
      revoked.add(`${userId}\n${deviceId}`)
      append(audit)
    },
    async isRevoked(userId, deviceId) {
      return revoked.has(`${userId}\n${deviceId}`)
    },
    async closeConversation(c, audit) {
      const existing = closures.get(c.conversationId)
      if (existing) return { closure: structuredClone(existing), created: false }
      closures.set(c.conversationId, structuredClone(c))
      append(audit)
      return { closure: structuredClone(c), created: true }
    },
    async closure(conversationId) {
      const c = closures.get(conversationId)
      return c ? structuredClone(c) : null
    },
    async resolveReport(userId, reportId, r, audit) {
      const report = find(userId, reportId)
      if (!report) throw new NotFoundError('unknown report', { resource: 'report', id: reportId })
      const key = reportKey(userId, reportId)
      if (resolutions.has(key)) throw new ReportResolvedError(undefined, { reportId })
      const entry: ReportQueueEntry = {
        ...openEntry(report), status: 'resolved', resolution: r.resolution, ...(r.note !== undefined ? { note: r.note } : {}),
        resolvedBy: r.by, resolvedAt: r.at,
      }
      resolutions.set(key, entry)
      append(audit)
      return structuredClone(entry)
    },
    async listReports({ status, limit }) {
      const all = [...reports()].map((r) => resolutions.get(reportKey(r.reporterUserId, r.reportId)) ?? openEntry(r))
      return structuredClone(
        all
          .filter((e) => status === undefined || e.status === status)
          .sort((a, b) => b.receivedAt - a.receivedAt || (a.reportId < b.reportId ? 1 : -1))
          .slice(0, limit),
      )
    },
    async heldMessages(conversationId, from, to, limit) {
      return [...held.messages()]
        .filter((m) => m.conversationId === conversationId && m.ts >= from && m.ts < to)
        .sort((a, b) => a.seq - b.seq)
        .slice(0, limit)
        .map((m) => {
          const envelopes = held.envelopes(m.id)
          return { message: structuredClone(m), envelopes: envelopes.length, envelopeBytes: envelopes.reduce((n, c) => n + base64Bytes(c), 0) }
        })
    },
    async reportsIn(conversationId) {
      return structuredClone([...reports()].filter((r) => r.conversationId === conversationId).sort((a, b) => a.receivedAt - b.receivedAt))
    },
    async audit(entry) {
      return append(entry)
    },
    async auditLog({ since, limit }) {
      return structuredClone(
        log.filter((e) => since === undefined || e.at >= since).sort((a, b) => a.at - b.at || a.id - b.id).slice(0, limit),
      )
    },
  }
}
