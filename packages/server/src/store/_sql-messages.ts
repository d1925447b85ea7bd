/**
 * The SQL store's messages and inboxes: the append of a batch (group commit, `_sql-append.ts`),
 * inbox reads and acks, history, delete-for-everyone, the messages a user saw, and the
 * retention purge.
 */
import { ForbiddenError, NotFoundError } from '@parley/protocol'
import { AppendCache, appendBatch } from './_sql-append.js'
import { MESSAGE_COLUMNS, num, toDelivery, toMessage } from './_sql-rows.js'
import type { SqlDriver } from './sql-driver.js'
import { insertAudit } from './moderation-sql.js'
import type { ParleyStore } from './store.js'

type MessageMethods = Pick<ParleyStore, 'appendMessages' | 'inboxAfter' | 'ackInbox' | 'history' | 'deleteMessage' | 'messagesSeenBy' | 'purgeExpired'>

export function sqlMessageMethods(db: SqlDriver): MessageMethods {
  const appendCache = new AppendCache()
  return {
    async appendMessages(batch, bind, now) {
      if (!batch.length) return []
      return appendBatch(db, appendCache, batch, bind, now)
    },
    async inboxAfter(device, after, limit, now) {
      const rows = await db.query(
        `SELECT i.inbox_id, i.envelope_type, i.ciphertext, ${MESSAGE_COLUMNS} FROM inbox i JOIN messages m ON m.id = i.message_id
          WHERE i.user_id = $1 AND i.device_id = $2 AND i.inbox_id > $3 AND (m.expires_at IS NULL OR m.expires_at > $4)
          ORDER BY i.inbox_id LIMIT $5`,
        [device.userId, device.deviceId, after, now, limit],
      )
      return rows.map(toDelivery)
    },
    async ackInbox(device, upTo) {
      const rows = await db.query(
        `UPDATE devices SET inbox_cursor = GREATEST(inbox_cursor, LEAST($3::bigint, inbox_seq)) WHERE user_id = $1 AND device_id = $2 RETURNING inbox_cursor`,
        [device.userId, device.deviceId, upTo],
      )
      if (!rows.length) throw new NotFoundError('device not registered', { resource: 'device', id: device.deviceId })
      return num(rows[0]!.inbox_cursor)
    },
    async history(conversationId, viewer, before, limit, now) {
      const rows = await db.query(
        `SELECT i.inbox_id, i.envelope_type, i.ciphertext, ${MESSAGE_COLUMNS} FROM messages m
           LEFT JOIN inbox i ON i.message_id = m.id AND i.user_id = $2 AND i.device_id = $3
          WHERE m.conversation_id = $1 AND m.seq < $4 AND (m.expires_at IS NULL OR m.expires_at > $5)
          ORDER BY m.seq DESC LIMIT $6`,
        [conversationId, viewer.userId, viewer.deviceId, before ?? Number.MAX_SAFE_INTEGER, now, limit],
      )
      return rows.map(toDelivery)
    },
    async deleteMessage({ conversationId, messageId, byUserId, audit }) {
      return db.transaction(async (tx) => {
        const [r] = await tx.query(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1 AND m.conversation_id = $2 AND m.kind = 'message' FOR UPDATE`, [messageId, conversationId])
        if (!r) throw new NotFoundError('unknown message', { resource: 'message', id: messageId })
        if (byUserId !== null && r.sender_user !== byUserId) throw new ForbiddenError('only the sender may delete a message for everyone')
        if (audit) await insertAudit(tx, audit)
        await tx.query('UPDATE messages SET deleted = true, body = NULL, body_kid = NULL, attachments = NULL, sender_key = NULL WHERE id = $1', [messageId])
        // A sender-key message's envelopes carry only its chain's distribution: kept (docs/messages.md),
        // also when it is deleted again (the first deletion already cleared sender_key).
        if (r.sender_key == null && !r.deleted) await tx.query('UPDATE inbox SET envelope_type = NULL, ciphertext = NULL WHERE message_id = $1', [messageId])
        const m = toMessage(r)
        m.deleted = true
        delete m.sealedBody
        delete m.attachments
        delete m.senderKey
        return m
      })
    },
    async messagesSeenBy(userId, conversationId, messageIds) {
      const rows = await db.query(
        `SELECT ${MESSAGE_COLUMNS} FROM messages m
          WHERE m.conversation_id = $2 AND m.id IN (SELECT jsonb_array_elements_text($3::jsonb))
            AND (m.sender_user = $1 OR EXISTS (SELECT 1 FROM inbox i WHERE i.message_id = m.id AND i.user_id = $1))`,
        [userId, conversationId, JSON.stringify(messageIds)],
      )
      return rows.map(toMessage)
    },
    async purgeExpired(now) {
      const rows = await db.query('DELETE FROM messages WHERE expires_at IS NOT NULL AND expires_at <= $1 RETURNING id', [now])
      return rows.length
    },
  }
}
