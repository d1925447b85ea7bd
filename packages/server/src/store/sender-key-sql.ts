/** The SQL `SenderKeyStore` (PGlite and PostgreSQL; table `sender_key_holders`, migration 11). */
import type { SqlDriver } from './sql-driver.js'
import type { SenderKeyStore } from './sender-key-store.js'

export function sqlSenderKeyStore(db: SqlDriver): SenderKeyStore {
  return {
    async holders({ conversationId, sender, keyId }) {
      const rows = await db.query<{ user_id: string; device_id: string }>(
        'SELECT user_id, device_id FROM sender_key_holders WHERE conversation_id = $1 AND sender_user = $2 AND sender_device = $3 AND key_id = $4',
        [conversationId, sender.userId, sender.deviceId, keyId],
      )
      return rows.map((r) => ({ userId: r.user_id, deviceId: r.device_id }))
    },
    async addHolders({ conversationId, sender, keyId }, devices) {
      if (!devices.length) return
      await db.query(
        `INSERT INTO sender_key_holders (conversation_id, sender_user, sender_device, key_id, user_id, device_id)
         SELECT $1, $2, $3, $4, x.u, x.d FROM jsonb_to_recordset($5::jsonb) AS x(u text, d text)
         ON CONFLICT DO NOTHING`,
        [conversationId, sender.userId, sender.deviceId, keyId, JSON.stringify(devices.map((d) => ({ u: d.userId, d: d.deviceId })))],
      )
    },
    async dropUsers(conversationId, userIds) {
      if (!userIds.length) return
      await db.query(
        `DELETE FROM sender_key_holders WHERE conversation_id = $1
         AND (sender_user IN (SELECT jsonb_array_elements_text($2::jsonb)) OR user_id IN (SELECT jsonb_array_elements_text($2::jsonb)))`,
        [conversationId, JSON.stringify(userIds)],
      )
    },
    async dropDevice({ userId, deviceId }) {
      // Rare (a device id registering with new keys): a scan of the table is acceptable here.
      await db.query(
        'DELETE FROM sender_key_holders WHERE (sender_user = $1 AND sender_device = $2) OR (user_id = $1 AND device_id = $2)',
        [userId, deviceId],
      )
    },
  }
}
