/**
 * The SQL store's verified reports, sealed at rest (migration 2; `report`, plain JSON, only in
 * legacy rows until `sealLegacyReports`), and report coverage (the messages a device received
 * or sent after a seq).
 */
import { StoreError, type VerifiedReport } from '@parley/protocol'
import { json, num } from './_sql-rows.js'
import type { SqlDriver } from './sql-driver.js'
import type { ParleyStore } from './store.js'

type ReportMethods = Pick<ParleyStore, 'saveReport' | 'getReport' | 'sealLegacyReports' | 'countReports' | 'deliveredAfter'>

/** `self` is the store being built (a duplicate report is read back through it). */
export function sqlReportMethods(db: SqlDriver, self: () => ParleyStore): ReportMethods {
  return {
    // ---- reports: sealed at rest (migration 2); `report` (plain JSON) only in legacy rows ----
    async saveReport(report) {
      const inserted = await db.query(
        `INSERT INTO reports (reporter_user, report_id, conversation_id, received_at, sealed_kid, sealed) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (reporter_user, report_id) DO NOTHING RETURNING report_id`,
        [report.reporterUserId, report.reportId, report.conversationId, report.receivedAt, report.sealed.kid, report.sealed.data],
      )
      if (inserted.length) return { duplicate: false, report }
      const stored = await self().getReport(report.reporterUserId, report.reportId)
      if (!stored) throw new StoreError('a stored report is still in plain JSON: run sealLegacyReports')
      return { duplicate: true, report: stored }
    },
    async getReport(userId, reportId) {
      const [r] = await db.query(
        'SELECT conversation_id, received_at, sealed_kid, sealed FROM reports WHERE reporter_user = $1 AND report_id = $2 AND sealed IS NOT NULL',
        [userId, reportId],
      )
      return r ? { reporterUserId: userId, reportId, conversationId: r.conversation_id as string, receivedAt: num(r.received_at), sealed: { kid: r.sealed_kid as string, data: r.sealed as string } } : null
    },
    async sealLegacyReports(seal) {
      return db.transaction(async (tx) => {
        const rows = await tx.query('SELECT reporter_user, report_id, report FROM reports WHERE sealed IS NULL FOR UPDATE')
        for (const r of rows) {
          const sealed = seal(json<VerifiedReport>(r.report))
          await tx.query('UPDATE reports SET sealed_kid = $3, sealed = $4, report = NULL WHERE reporter_user = $1 AND report_id = $2', [r.reporter_user, r.report_id, sealed.kid, sealed.data])
        }
        return rows.length
      })
    },
    async countReports() {
      const [r] = await db.query('SELECT count(*) AS n FROM reports')
      return num(r!.n)
    },

    // ---- report coverage ----
    async deliveredAfter(device, conversationId, afterSeq, now) {
      const [r] = await db.query(
        `SELECT count(*) AS n, COALESCE(max(m.seq), 0) AS last FROM messages m
          WHERE m.conversation_id = $1 AND m.seq > $4 AND m.kind = 'message' AND NOT m.deleted
            AND (m.expires_at IS NULL OR m.expires_at > $5)
            AND ((m.sender_user = $2 AND m.sender_device = $3)
              OR EXISTS (SELECT 1 FROM inbox i WHERE i.message_id = m.id AND i.user_id = $2 AND i.device_id = $3))`,
        [conversationId, device.userId, device.deviceId, afterSeq, now],
      )
      return { count: num(r!.n), lastSeq: num(r!.last) }
    },
  }
}
