/**
 * `ModerationStore` on SQL (PGlite and PostgreSQL, migration 5). Every action and its audit
 * entry share one transaction.
 */
import { NotFoundError, ReportResolvedError } from '@parley/protocol'
import type { AuditEntry, Closure, ModerationStore, NewAuditEntry, ReportQueueEntry, Suspension } from './moderation-store.js'
import type { SqlDriver, SqlExecutor } from './sql-driver.js'
import { MESSAGE_COLUMNS, toMessage } from './_sql-rows.js'

type Row = Record<string, unknown>
const num = (v: unknown): number => Number(v)

/** Appends an audit entry inside `tx` (the action's own transaction). */
export async function insertAudit(tx: SqlExecutor, e: NewAuditEntry): Promise<AuditEntry> {
  const [row] = await tx.query<{ id: unknown }>(
    'INSERT INTO moderation_audit (at, actor, action, target, reason, details) VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING id',
    [e.at, e.actor, e.action, e.target, e.reason, JSON.stringify(e.details)],
  )
  return { ...e, id: num(row!.id) }
}

function suspensionOf(r: Row): Suspension {
  return {
    userId: String(r.user_id), reason: String(r.reason), by: String(r.by_actor), at: num(r.at),
    ...(r.until !== null && r.until !== undefined ? { until: num(r.until) } : {}),
  }
}

function closureOf(r: Row): Closure {
  return { conversationId: String(r.conversation_id), reason: String(r.reason), by: String(r.by_actor), at: num(r.at) }
}

function queueEntryOf(r: Row): ReportQueueEntry {
  const base: ReportQueueEntry = {
    reporterUserId: String(r.reporter_user), reportId: String(r.report_id), conversationId: String(r.conversation_id),
    receivedAt: num(r.received_at), status: r.resolution === null || r.resolution === undefined ? 'open' : 'resolved',
  }
  if (base.status === 'open') return base
  return {
    ...base, resolution: String(r.resolution), ...(r.note !== null && r.note !== undefined ? { note: String(r.note) } : {}),
    resolvedBy: String(r.by_actor), resolvedAt: num(r.at),
  }
}

const QUEUE_SELECT = `SELECT r.reporter_user, r.report_id, r.conversation_id, r.received_at, x.resolution, x.note, x.by_actor, x.at
  FROM reports r LEFT JOIN moderation_report_resolutions x ON x.reporter_user = r.reporter_user AND x.report_id = r.report_id`

export function sqlModerationStore(db: SqlDriver): ModerationStore {
  return {
    async suspend(s, audit) {
      await db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO moderation_suspensions (user_id, until, reason, by_actor, at) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (user_id) DO UPDATE SET until = EXCLUDED.until, reason = EXCLUDED.reason, by_actor = EXCLUDED.by_actor, at = EXCLUDED.at`,
          [s.userId, s.until ?? null, s.reason, s.by, s.at],
        )
        await insertAudit(tx, audit)
      })
    },
    async unsuspend(userId, audit) {
      return db.transaction(async (tx) => {
        const gone = await tx.query('DELETE FROM moderation_suspensions WHERE user_id = $1 RETURNING user_id', [userId])
        if (gone.length === 0) return false
        await insertAudit(tx, audit)
        return true
      })
    },
    async suspension(userId, now) {
      const [row] = await db.query('SELECT * FROM moderation_suspensions WHERE user_id = $1 AND (until IS NULL OR until > $2)', [userId, now])
      return row ? suspensionOf(row) : null
    },
    async revokeDevice(userId, deviceId, audit) {
      await db.transaction(async (tx) => {
        await tx.query('INSERT INTO moderation_revoked_devices (user_id, device_id) VALUES ($1, $2) ON CONFLICT DO NOTHING', [userId, deviceId])
        await insertAudit(tx, audit)
      })
    },
    async isRevoked(userId, deviceId) {
      const rows = await db.query('SELECT 1 FROM moderation_revoked_devices WHERE user_id = $1 AND device_id = $2', [userId, deviceId])
      return rows.length > 0
    },
    async closeConversation(c, audit) {
      return db.transaction(async (tx) => {
        const written = await tx.query(
          'INSERT INTO moderation_closures (conversation_id, reason, by_actor, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING conversation_id',
          [c.conversationId, c.reason, c.by, c.at],
        )
        if (written.length > 0) await insertAudit(tx, audit)
        const [row] = await tx.query('SELECT * FROM moderation_closures WHERE conversation_id = $1', [c.conversationId])
        return { closure: closureOf(row!), created: written.length > 0 }
      })
    },
    async closure(conversationId) {
      const [row] = await db.query('SELECT * FROM moderation_closures WHERE conversation_id = $1', [conversationId])
      return row ? closureOf(row) : null
    },
    async resolveReport(userId, reportId, r, audit) {
      return db.transaction(async (tx) => {
        const [report] = await tx.query('SELECT 1 FROM reports WHERE reporter_user = $1 AND report_id = $2 FOR UPDATE', [userId, reportId])
        if (!report) throw new NotFoundError('unknown report', { resource: 'report', id: reportId })
        const written = await tx.query(
          `INSERT INTO moderation_report_resolutions (reporter_user, report_id, resolution, note, by_actor, at) VALUES ($1, $2, $3, $4, $5, $6)
           ON CONFLICT DO NOTHING RETURNING report_id`,
          [userId, reportId, r.resolution, r.note ?? null, r.by, r.at],
        )
        if (written.length === 0) throw new ReportResolvedError(undefined, { reportId })
        await insertAudit(tx, audit)
        const [row] = await tx.query(`${QUEUE_SELECT} WHERE r.reporter_user = $1 AND r.report_id = $2`, [userId, reportId])
        return queueEntryOf(row!)
      })
    },
    async listReports({ status, limit }) {
      const where = status === 'open' ? 'WHERE x.resolution IS NULL' : status === 'resolved' ? 'WHERE x.resolution IS NOT NULL' : ''
      const rows = await db.query(`${QUEUE_SELECT} ${where} ORDER BY r.received_at DESC, r.report_id DESC LIMIT $1`, [limit])
      return rows.map(queueEntryOf)
    },
    async heldMessages(conversationId, from, to, limit) {
      const rows = await db.query(
        `SELECT ${MESSAGE_COLUMNS},
                (SELECT count(*) FROM inbox i WHERE i.message_id = m.id AND i.ciphertext IS NOT NULL) AS envelopes,
                (SELECT coalesce(sum(length(i.ciphertext) / 4 * 3 - (length(i.ciphertext) - length(rtrim(i.ciphertext, '=')))), 0)
                   FROM inbox i WHERE i.message_id = m.id AND i.ciphertext IS NOT NULL) AS envelope_bytes
           FROM messages m WHERE m.conversation_id = $1 AND m.ts >= $2 AND m.ts < $3 ORDER BY m.seq LIMIT $4`,
        [conversationId, from, to, limit],
      )
      return rows.map((r) => ({ message: toMessage(r), envelopes: num(r.envelopes), envelopeBytes: num(r.envelope_bytes) }))
    },
    async reportsIn(conversationId) {
      const rows = await db.query(
        'SELECT reporter_user, report_id, conversation_id, received_at, sealed_kid, sealed FROM reports WHERE conversation_id = $1 AND sealed IS NOT NULL ORDER BY received_at',
        [conversationId],
      )
      return rows.map((r) => ({
        reporterUserId: String(r.reporter_user), reportId: String(r.report_id), conversationId: String(r.conversation_id),
        receivedAt: num(r.received_at), sealed: { kid: String(r.sealed_kid), data: String(r.sealed) },
      }))
    },
    async audit(entry) {
      return db.transaction((tx) => insertAudit(tx, entry))
    },
    async auditLog({ since, limit }) {
      const rows = await db.query<Row>('SELECT * FROM moderation_audit WHERE at >= $1 ORDER BY at, id LIMIT $2', [since ?? 0, limit])
      return rows.map((r) => ({
        id: num(r.id), at: num(r.at), actor: String(r.actor), action: String(r.action) as AuditEntry['action'], target: String(r.target),
        reason: String(r.reason), details: (typeof r.details === 'string' ? JSON.parse(r.details) : r.details) as AuditEntry['details'],
      }))
    },
  }
}
