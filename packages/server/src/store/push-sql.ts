/**
 * The SQL `PushStore` (PGlite and PostgreSQL; table `push_registrations`, migration 14). A
 * registration replaces its id and evicts the oldest others in one transaction; ties of
 * `updated_at` go by a row sequence, so "oldest" is the order registrations arrived in.
 */
import type { PushRegistration } from '@parley/protocol'
import { json } from './_sql-rows.js'
import type { SqlDriver } from './sql-driver.js'
import type { PushStore } from './push-store.js'

export function sqlPushStore(db: SqlDriver): PushStore {
  return {
    async register(device, registration, now, max) {
      return db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO push_registrations (user_id, device_id, id, registration, updated_at) VALUES ($1, $2, $3, $4::jsonb, $5)
           ON CONFLICT (user_id, device_id, id) DO UPDATE SET registration = EXCLUDED.registration, updated_at = EXCLUDED.updated_at, row_seq = nextval('push_registrations_row_seq_seq')`,
          [device.userId, device.deviceId, registration.id, JSON.stringify(registration), now],
        )
        await tx.query(
          `DELETE FROM push_registrations WHERE user_id = $1 AND device_id = $2 AND id IN (
             SELECT id FROM push_registrations WHERE user_id = $1 AND device_id = $2 AND id <> $3
              ORDER BY updated_at DESC, row_seq DESC OFFSET $4)`,
          [device.userId, device.deviceId, registration.id, Math.max(0, max - 1)],
        )
        const [r] = await tx.query<{ n: unknown }>('SELECT count(*) AS n FROM push_registrations WHERE user_id = $1 AND device_id = $2', [device.userId, device.deviceId])
        return Number(r!.n)
      })
    },
    async unregister(device, id) {
      const rows = await db.query('DELETE FROM push_registrations WHERE user_id = $1 AND device_id = $2 AND id = $3 RETURNING 1', [device.userId, device.deviceId, id])
      return rows.length > 0
    },
    async forDevices(devices) {
      if (!devices.length) return []
      const rows = await db.query<{ i: number; registration: unknown }>(
        `SELECT q.i, p.registration FROM jsonb_to_recordset($1::jsonb) AS q(i int, u text, d text)
           JOIN push_registrations p ON p.user_id = q.u AND p.device_id = q.d
          ORDER BY q.i, p.updated_at DESC, p.row_seq DESC`,
        [JSON.stringify(devices.map((d, i) => ({ i, u: d.userId, d: d.deviceId })))],
      )
      const out: PushRegistration[][] = devices.map(() => [])
      for (const r of rows) out[r.i]!.push(json<PushRegistration>(r.registration))
      return out
    },
  }
}
