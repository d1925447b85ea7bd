/**
 * `sqlStore(driver)`: the `ParleyStore` on SQL, shared by `pgliteStore` and `postgresStore`.
 * One schema (`migrations.ts`), the same statements on both; every method that writes more
 * than one row runs in one transaction. One-time prekeys are claimed with
 * `DELETE … WHERE … IN (SELECT … FOR UPDATE SKIP LOCKED)`, so each is handed out once, even
 * across server processes. Devices, messages, notices and reports are method groups in
 * `_sql-*.ts` (as are groups and recovery), composed here.
 */
import { ForbiddenError, NotFoundError, StoreError, type Policy } from '@parley/protocol'
import { fullAt, modeChangedNotice, pairKey, policyNotice, tokenWaitMs } from './_rules.js'
import { conversationsById, num } from './_sql-rows.js'
import { migrate, type SqlDriver } from './sql-driver.js'
import { sqlSafetyStore } from './safety-sql.js'
import { sqlSenderKeyStore } from './sender-key-sql.js'
import { sqlBlobStore } from './blob-sql.js'
import { sqlPushStore } from './push-sql.js'
import { sqlResetTicketStore } from './_sql-reset-tickets.js'
import { sqlAttachmentStore } from '../attachments/attachment-sql.js'
import type { ParleyStore, Recipient, StoredMessage } from './store.js'
import { sqlModerationStore } from './moderation-sql.js'
import { sqlGroupMethods } from './_sql-groups.js'
import { sqlRecoveryMethods } from './_sql-recovery.js'
import { sqlDeviceMethods } from './_sql-devices.js'
import { sqlMessageMethods } from './_sql-messages.js'
import { addNoticeRows, sqlNoticeMethods } from './_sql-notices.js'
import { sqlReportMethods } from './_sql-reports.js'

/**
 * Builds a store on a driver and migrates the schema.
 * @throws {StoreError} when the database cannot be migrated.
 */
export async function sqlStore(driver: SqlDriver): Promise<ParleyStore> {
  try {
    await migrate(driver)
  } catch (e) {
    throw new StoreError('schema migration failed', {}, { cause: e })
  }
  return createSqlStore(driver)
}

function createSqlStore(db: SqlDriver): ParleyStore {
  const self = () => store
  const store: ParleyStore = {
    kind: db.kind,
    safety: sqlSafetyStore(db),
    senderKeys: sqlSenderKeyStore(db),
    blobs: sqlBlobStore(db),
    push: sqlPushStore(db),
    resetTickets: sqlResetTicketStore(db),
    attachments: sqlAttachmentStore(db),
    moderation: sqlModerationStore(db),
    buckets: {
      async take(key, capacity, refillPerSecond, now) {
        const rows = await db.query(
          `INSERT INTO token_buckets AS b (key, tokens, updated_at, full_at) VALUES ($1, $2::float8 - 1, $4, $4 + ceil(1000.0 / $3::float8)::bigint)
           ON CONFLICT (key) DO UPDATE
             SET tokens = LEAST($2::float8, b.tokens + GREATEST(0, $4 - b.updated_at) / 1000.0 * $3::float8) - 1, updated_at = $4,
                 full_at = $4 + ceil(($2::float8 - (LEAST($2::float8, b.tokens + GREATEST(0, $4 - b.updated_at) / 1000.0 * $3::float8) - 1)) * 1000.0 / $3::float8)::bigint
             WHERE LEAST($2::float8, b.tokens + GREATEST(0, $4 - b.updated_at) / 1000.0 * $3::float8) >= 1
           RETURNING tokens`,
          [key, capacity, refillPerSecond, now],
        )
        return rows.length > 0
      },
    },

    async takeTokens(takes, now) {
      const unique = [...new Map(takes.map((t) => [t.key, t])).values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      if (unique.length === 0) return 0
      return db.transaction(async (tx) => {
        // One upsert creates missing buckets full and locks every row (new or existing, in key
        // order, so concurrent takes lock in one order), returning its state; then decide
        // all-or-nothing and write only when every bucket has a token.
        const rows = await tx.query(
          `INSERT INTO token_buckets AS b (key, tokens, updated_at, full_at)
           SELECT r.key, r.capacity, $2, $2 FROM jsonb_to_recordset($1::jsonb) AS r(key text, capacity float8) ORDER BY r.key
           ON CONFLICT (key) DO UPDATE SET key = b.key
           RETURNING b.key, b.tokens, b.updated_at`,
          [JSON.stringify(unique.map((t) => ({ key: t.key, capacity: t.capacity }))), now],
        )
        const byKey = new Map(rows.map((r) => [r.key as string, r]))
        const levels = unique.map((t) => {
          const r = byKey.get(t.key)!
          return Math.min(t.capacity, Number(r.tokens) + (Math.max(0, now - num(r.updated_at)) / 1000) * t.refillPerSecond)
        })
        const wait = Math.max(0, ...unique.map((t, i) => tokenWaitMs(levels[i]!, t.refillPerSecond)))
        if (wait > 0) return wait
        await tx.query(
          `UPDATE token_buckets b SET tokens = r.tokens, updated_at = $2, full_at = r.full_at
             FROM jsonb_to_recordset($1::jsonb) AS r(key text, tokens float8, full_at bigint) WHERE b.key = r.key`,
          [JSON.stringify(unique.map((t, i) => ({ key: t.key, tokens: levels[i]! - 1, full_at: fullAt(t.capacity, levels[i]! - 1, t.refillPerSecond, now) }))), now],
        )
        return 0
      })
    },
    async purgeBuckets(now) {
      const [r] = await db.query('WITH d AS (DELETE FROM token_buckets WHERE full_at IS NOT NULL AND full_at <= $1 RETURNING 1) SELECT count(*) AS n FROM d', [now])
      return num(r!.n)
    },

    ...sqlDeviceMethods(db),

    async openDirectConversation({ id, userIds, mode, upgradeRequired, now }) {
      return db.transaction(async (tx) => {
        const key = pairKey(userIds[0], userIds[1])
        const inserted = await tx.query(
          `INSERT INTO conversations (id, kind, pair_key, mode, upgrade_required, created_at) VALUES ($1, 'direct', $2, $3, $4, $5)
           ON CONFLICT (pair_key) DO NOTHING RETURNING id`,
          [id, key, mode, upgradeRequired, now],
        )
        if (inserted.length) {
          await tx.query(
            'INSERT INTO conversation_members (conversation_id, user_id, joined_at) SELECT $1, u, $3 FROM jsonb_array_elements_text($2::jsonb) AS u',
            [id, JSON.stringify([...new Set(userIds)]), now],
          )
        }
        const [c] = await conversationsById(tx, 'c.pair_key = $1', [key])
        return { conversation: c!, created: inserted.length > 0 }
      })
    },
    ...sqlGroupMethods(db),
    ...sqlRecoveryMethods(db),
    async getConversation(id) {
      return (await conversationsById(db, 'c.id = $1', [id]))[0] ?? null
    },
    async listConversations(userId) {
      return conversationsById(db, 'c.id IN (SELECT conversation_id FROM conversation_members WHERE user_id = $1)', [userId])
    },
    async upgradeConversation({ conversationId, modeChange, messageId, now }) {
      return db.transaction(async (tx) => {
        const [c] = await tx.query('SELECT mode, last_seq FROM conversations WHERE id = $1 FOR UPDATE', [conversationId])
        if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: conversationId })
        const members = (await tx.query<{ user_id: string }>('SELECT user_id FROM conversation_members WHERE conversation_id = $1', [conversationId])).map((r) => r.user_id)
        if (!members.includes(modeChange.userId)) throw new ForbiddenError('not a member of this conversation')
        if (c.mode === 'e2ee') {
          const [conv] = await conversationsById(tx, 'c.id = $1', [conversationId])
          return { conversation: conv!, changed: false, recipients: [] }
        }
        const seq = num(c.last_seq) + 1
        await tx.query('UPDATE conversations SET mode = $2, upgrade_required = false, mode_change = $3::jsonb, last_seq = $4 WHERE id = $1', [conversationId, 'e2ee', JSON.stringify(modeChange), seq])
        await tx.query(
          `INSERT INTO messages (id, conversation_id, seq, ts, kind, sender_user, sender_device, mode, mode_change)
           VALUES ($1, $2, $3, $4, 'mode_change', $5, $6, 'e2ee', $7::jsonb)`,
          [messageId, conversationId, seq, now, modeChange.userId, modeChange.deviceId, JSON.stringify(modeChange)],
        )
        const devs = await tx.query<{ user_id: string; device_id: string; inbox_seq: unknown }>(
          `UPDATE devices SET inbox_seq = inbox_seq + 1
            WHERE active AND user_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND NOT (user_id = $2 AND device_id = $3)
            RETURNING user_id, device_id, inbox_seq`,
          [JSON.stringify(members), modeChange.userId, modeChange.deviceId],
        )
        const recipients: Recipient[] = devs.map((d) => ({ userId: d.user_id, deviceId: d.device_id, inboxId: num(d.inbox_seq) }))
        if (recipients.length) {
          await tx.query(
            'INSERT INTO inbox (user_id, device_id, inbox_id, message_id) SELECT x.u, x.d, x.i, $2 FROM jsonb_to_recordset($1::jsonb) AS x(u text, d text, i bigint)',
            [JSON.stringify(recipients.map((r) => ({ u: r.userId, d: r.deviceId, i: r.inboxId }))), messageId],
          )
        }
        await addNoticeRows(tx, members.map((userId) => ({ userId, notice: modeChangedNotice(conversationId, modeChange.userId, now) })))
        const [conv] = await conversationsById(tx, 'c.id = $1', [conversationId])
        const message: StoredMessage = {
          id: messageId, conversationId, seq, ts: now, kind: 'mode_change', sender: { userId: modeChange.userId, deviceId: modeChange.deviceId },
          mode: 'e2ee', modeChange, deleted: false,
        }
        return { conversation: conv!, changed: true, message, recipients }
      })
    },
    async applyPolicy(policy, now) {
      return db.transaction(async (tx) => {
        await tx.query(`INSERT INTO parley_meta (key, value) VALUES ('policy', 'null'::jsonb) ON CONFLICT (key) DO NOTHING`)
        const [row] = await tx.query<{ v: string }>(`SELECT value::text AS v FROM parley_meta WHERE key = 'policy' FOR UPDATE`)
        const previous = JSON.parse(row!.v) as Policy | null
        if (previous === policy) return { previous, changed: false, notices: 0 }
        await tx.query(`UPDATE parley_meta SET value = $1::jsonb WHERE key = 'policy'`, [JSON.stringify(policy)])
        if (previous === null) return { previous, changed: false, notices: 0 }
        await tx.query(`UPDATE conversations SET upgrade_required = $1 WHERE mode = 'server-side'`, [policy === 'default-e2ee'])
        const rows = await tx.query<{ id: string; mode: 'server-side' | 'e2ee'; user_id: string }>(
          'SELECT c.id, c.mode, m.user_id FROM conversations c JOIN conversation_members m ON m.conversation_id = c.id ORDER BY c.id, m.user_id',
        )
        await addNoticeRows(tx, rows.map((r) => ({ userId: r.user_id, notice: policyNotice({ policy, previous, conversationId: r.id, mode: r.mode, now }) })))
        return { previous, changed: true, notices: rows.length }
      })
    },

    ...sqlMessageMethods(db),

    ...sqlNoticeMethods(db),

    ...sqlReportMethods(db, self),

    async putLinkRequest(req) {
      await db.query(
        `INSERT INTO link_requests (code_hash, user_id, device_id, ephemeral_key, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (code_hash) DO UPDATE SET user_id = EXCLUDED.user_id, device_id = EXCLUDED.device_id, ephemeral_key = EXCLUDED.ephemeral_key, expires_at = EXCLUDED.expires_at`,
        [req.codeHash, req.userId, req.deviceId, req.ephemeralKey, req.expiresAt],
      )
    },
    async getLinkRequest(codeHash, now) {
      const [r] = await db.query('SELECT * FROM link_requests WHERE code_hash = $1 AND expires_at > $2', [codeHash, now])
      return r ? { codeHash, userId: r.user_id as string, deviceId: r.device_id as string, ephemeralKey: r.ephemeral_key as string, expiresAt: num(r.expires_at) } : null
    },
    async deleteLinkRequest(codeHash) {
      await db.query('DELETE FROM link_requests WHERE code_hash = $1', [codeHash])
    },
    async close() {
      await db.close()
    },
  }
  return store
}
