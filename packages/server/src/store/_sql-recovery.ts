/**
 * The SQL store's disappearing-messages setting (compare-and-set on its version) and account
 * reset without a backup (docs/recovery.md). A reset keeps the `users` row (devices and inbox
 * rows refer to it) with the identity key set to {@link RESET_IDENTITY}, which no real key
 * equals: `getUser` and `claimBundles` treat such a user as unregistered, and the next
 * `registerDevice` pins the identity it brings — unless a reset abandoned that key
 * (`abandoned_identities`, migration 17): a lost device holds its secret.
 */
import { DisappearingRejectedError, NotFoundError } from '@parley/protocol'
import { conversationsById } from './_sql-rows.js'
import type { SqlDriver, SqlExecutor } from './sql-driver.js'
import type { ParleyStore } from './store.js'

/** The stored identity key of a user whose identity was reset (never a valid base64 key). */
export const RESET_IDENTITY = ''

/** Whether a reset abandoned `identityKey` for `userId` (inside the registering transaction). */
export async function isAbandoned(tx: SqlExecutor, userId: string, identityKey: string): Promise<boolean> {
  return (await tx.query('SELECT 1 FROM abandoned_identities WHERE user_id = $1 AND identity_key = $2', [userId, identityKey])).length > 0
}

type RecoveryMethods = Pick<ParleyStore, 'setDisappearing' | 'resetIdentity'>

export function sqlRecoveryMethods(db: SqlDriver): RecoveryMethods {
  return {
    async setDisappearing(setting) {
      return db.transaction(async (tx) => {
        const id = setting.conversationId
        const [c] = await tx.query(`SELECT COALESCE((disappearing ->> 'version')::bigint, 0) AS version FROM conversations WHERE id = $1 FOR UPDATE`, [id])
        if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id })
        if (Number(c.version) !== setting.version - 1) {
          throw new DisappearingRejectedError('another member changed the setting first', { conversationId: id, version: setting.version, reason: 'stale' })
        }
        await tx.query('UPDATE conversations SET disappearing = $2::jsonb WHERE id = $1', [id, JSON.stringify(setting)])
        return (await conversationsById(tx, 'c.id = $1', [id]))[0]!
      })
    },
    async resetIdentity(userId) {
      return db.transaction(async (tx) => {
        const was = await tx.query<{ device_id: string }>('SELECT device_id FROM devices WHERE user_id = $1 AND active ORDER BY device_id FOR UPDATE', [userId])
        // Every device held the abandoned key's secret: it may never be pinned for this user again.
        await tx.query(
          'INSERT INTO abandoned_identities (user_id, identity_key) SELECT user_id, identity_key FROM users WHERE user_id = $1 AND identity_key <> $2 ON CONFLICT DO NOTHING',
          [userId, RESET_IDENTITY],
        )
        await tx.query('UPDATE users SET identity_key = $2 WHERE user_id = $1', [userId, RESET_IDENTITY])
        await tx.query('UPDATE devices SET active = false WHERE user_id = $1', [userId])
        await tx.query('DELETE FROM one_time_prekeys WHERE user_id = $1', [userId])
        return { devices: was.map((r) => r.device_id) }
      })
    },
  }
}
