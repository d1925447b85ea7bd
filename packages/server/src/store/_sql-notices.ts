/**
 * The SQL store's notices: the rows written for users (inside other transactions too: a mode
 * upgrade, a policy change), read per device after its cursor, and acknowledged.
 */
import type { Notice } from '@parley/protocol'
import { storedNotice } from './_rules.js'
import { json, num } from './_sql-rows.js'
import type { SqlDriver, SqlExecutor } from './sql-driver.js'
import type { ParleyStore } from './store.js'

type NoticeMethods = Pick<ParleyStore, 'addNotices' | 'pendingNotices' | 'ackNotices'>

export async function addNoticeRows(q: SqlExecutor, items: { userId: string; notice: Notice }[]): Promise<void> {
  if (!items.length) return
  await q.query(
    'INSERT INTO notices (user_id, notice) SELECT x.u, x.n FROM jsonb_to_recordset($1::jsonb) AS x(u text, n jsonb)',
    [JSON.stringify(items.map((i) => ({ u: i.userId, n: i.notice })))],
  )
}

export function sqlNoticeMethods(db: SqlDriver): NoticeMethods {
  return {
    async addNotices(items) {
      await addNoticeRows(db, items)
    },
    async pendingNotices(device) {
      const rows = await db.query(
        `SELECT n.id, n.notice FROM notices n JOIN devices d ON d.user_id = n.user_id AND d.device_id = $2
          WHERE n.user_id = $1 AND n.id > d.notice_cursor ORDER BY n.id LIMIT 500`,
        [device.userId, device.deviceId],
      )
      return rows.map((r) => ({ id: num(r.id), notice: storedNotice(json<Record<string, unknown>>(r.notice)) }))
    },
    async ackNotices(device, upTo) {
      await db.query('UPDATE devices SET notice_cursor = GREATEST(notice_cursor, $3) WHERE user_id = $1 AND device_id = $2', [device.userId, device.deviceId, upTo])
    },
  }
}
