/**
 * `sqlStore(driver)`: the `ParleyStore` on SQL, shared by `pgliteStore` and `postgresStore`.
 * One schema (`migrations.ts`), the same statements on both; every method that writes more
 * than one row runs in one transaction. One-time prekeys are claimed with
 * `DELETE … WHERE … IN (SELECT … FOR UPDATE SKIP LOCKED)`, so each is handed out once, even
 * across server processes.
 */
import {
  ForbiddenError, IdentityChangedError, InvalidDeviceListError, NotFoundError, StoreError,
  type DeviceBundle, type Notice, type Policy, type SignedDeviceList, type VerifiedReport,
} from '@parley/protocol'
import { AppendCache, appendBatch } from './_sql-append.js'
import { abandonedIdentityError, fullAt, modeChangedNotice, pairKey, policyNotice, storedNotice, tokenWaitMs } from './_rules.js'
import { conversationsById, json, MESSAGE_COLUMNS, num, toDelivery, toDevice, toMessage } from './_sql-rows.js'
import { migrate, type SqlDriver, type SqlExecutor } from './sql-driver.js'
import { sqlSafetyStore } from './safety-sql.js'
import { sqlSenderKeyStore } from './sender-key-sql.js'
import { sqlBlobStore } from './blob-sql.js'
import { sqlPushStore } from './push-sql.js'
import { consumeTicket, sqlResetTicketStore } from './_sql-reset-tickets.js'
import { sqlAttachmentStore } from '../attachments/attachment-sql.js'
import type { ClaimedBundles, ConversationRecord, ParleyStore, PreKeyCounts, PreKeyUpload, Recipient, StoredMessage } from './store.js'
import { insertAudit, sqlModerationStore } from './moderation-sql.js'
import { sqlGroupMethods } from './_sql-groups.js'
import { isAbandoned, RESET_IDENTITY, sqlRecoveryMethods } from './_sql-recovery.js'

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


async function counts(q: SqlExecutor, userId: string, deviceId: string): Promise<PreKeyCounts> {
  const rows = await q.query<{ kind: string; n: unknown }>(
    'SELECT kind, count(*) AS n FROM one_time_prekeys WHERE user_id = $1 AND device_id = $2 GROUP BY kind',
    [userId, deviceId],
  )
  const n = (k: string) => num(rows.find((r) => r.kind === k)?.n ?? 0)
  return { oneTimePreKeys: n('x25519'), kemOneTimePreKeys: n('kem') }
}

async function insertPreKeys(q: SqlExecutor, userId: string, deviceId: string, keys: PreKeyUpload): Promise<void> {
  const rows = [
    ...(keys.oneTimePreKeys ?? []).map((k) => ({ k: 'x25519', i: k.id, p: k.publicKey, s: null })),
    ...(keys.kemOneTimePreKeys ?? []).map((k) => ({ k: 'kem', i: k.id, p: k.publicKey, s: k.signature })),
  ]
  if (!rows.length) return
  await q.query(
    `INSERT INTO one_time_prekeys (user_id, device_id, kind, key_id, public_key, signature)
     SELECT $1, $2, x.k, x.i, x.p, x.s FROM jsonb_to_recordset($3::jsonb) AS x(k text, i bigint, p text, s text)
     ON CONFLICT (user_id, device_id, kind, key_id) DO UPDATE SET public_key = EXCLUDED.public_key, signature = EXCLUDED.signature`,
    [userId, deviceId, JSON.stringify(rows)],
  )
}

/** Marks each device of the user active iff the stored list names it with the same keys. */
async function markActive(q: SqlExecutor, userId: string): Promise<void> {
  await q.query(
    `UPDATE devices d SET active = EXISTS (
       SELECT 1 FROM users u, jsonb_array_elements(u.device_list -> 'devices') e
        WHERE u.user_id = d.user_id AND e ->> 'deviceId' = d.device_id
          AND e ->> 'signingKey' = d.signing_key AND e ->> 'identityKey' = d.identity_key)
     WHERE d.user_id = $1`,
    [userId],
  )
}

async function addNoticeRows(q: SqlExecutor, items: { userId: string; notice: Notice }[]): Promise<void> {
  if (!items.length) return
  await q.query(
    'INSERT INTO notices (user_id, notice) SELECT x.u, x.n FROM jsonb_to_recordset($1::jsonb) AS x(u text, n jsonb)',
    [JSON.stringify(items.map((i) => ({ u: i.userId, n: i.notice })))],
  )
}

function createSqlStore(db: SqlDriver): ParleyStore {
  const appendCache = new AppendCache()
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

    async getUser(userId) {
      const [r] = await db.query('SELECT user_id, identity_key, device_list FROM users WHERE user_id = $1', [userId])
      return r && r.identity_key !== RESET_IDENTITY ? { userId: r.user_id as string, identityKey: r.identity_key as string, deviceList: json<SignedDeviceList>(r.device_list) } : null
    },
    async registerDevice(reg) {
      await db.transaction(async (tx) => {
        await tx.query(
          'INSERT INTO users (user_id, identity_key, device_list, device_list_version, created_at) VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT (user_id) DO NOTHING',
          [reg.userId, reg.userIdentityKey, JSON.stringify(reg.deviceList), reg.deviceList.version, reg.now],
        )
        const [u] = await tx.query('SELECT identity_key, device_list_version FROM users WHERE user_id = $1 FOR UPDATE', [reg.userId])
        if (u!.identity_key === RESET_IDENTITY) {
          // The identity was reset (docs/recovery.md): the first registration after it pins the
          // new one — never a key the reset abandoned (a lost device still holds its secret).
          if (await isAbandoned(tx, reg.userId, reg.userIdentityKey)) throw abandonedIdentityError(reg.userId)
          await consumeTicket(tx, reg.userId, reg.resetTicketHash, reg.now)
          await tx.query('UPDATE users SET identity_key = $2, device_list = $3::jsonb, device_list_version = $4 WHERE user_id = $1', [reg.userId, reg.userIdentityKey, JSON.stringify(reg.deviceList), reg.deviceList.version])
          u!.identity_key = reg.userIdentityKey
          u!.device_list_version = reg.deviceList.version
        }
        if (u!.identity_key !== reg.userIdentityKey) throw new IdentityChangedError('a different user identity key is pinned for this user', { userId: reg.userId })
        const stored = num(u!.device_list_version)
        if (reg.deviceList.version < stored) throw new InvalidDeviceListError('device list version is older than the stored one', { userId: reg.userId })
        if (reg.deviceList.version > stored) {
          await tx.query('UPDATE users SET device_list = $2::jsonb, device_list_version = $3 WHERE user_id = $1', [reg.userId, JSON.stringify(reg.deviceList), reg.deviceList.version])
        }
        // The device id came back with new keys (decision 0022): its one-time prekeys are the previous keys' (signed by them, their secrets on the old install).
        await tx.query(
          `DELETE FROM one_time_prekeys p USING devices d WHERE p.user_id = $1 AND p.device_id = $2 AND d.user_id = $1 AND d.device_id = $2
             AND (d.signing_key <> $3 OR d.identity_key <> $4)`,
          [reg.userId, reg.deviceId, reg.signingKey, reg.identityKey],
        )
        await tx.query(
          `INSERT INTO devices (user_id, device_id, signing_key, identity_key, signed_prekey, kem_last_resort, registered_at, notice_cursor)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, (SELECT COALESCE(max(id), 0) FROM notices WHERE user_id = $1))
           ON CONFLICT (user_id, device_id) DO UPDATE SET signing_key = EXCLUDED.signing_key, identity_key = EXCLUDED.identity_key,
             signed_prekey = EXCLUDED.signed_prekey, kem_last_resort = EXCLUDED.kem_last_resort`,
          [reg.userId, reg.deviceId, reg.signingKey, reg.identityKey, JSON.stringify(reg.signedPreKey), JSON.stringify(reg.kemLastResortPreKey), reg.now],
        )
        await insertPreKeys(tx, reg.userId, reg.deviceId, reg)
        await markActive(tx, reg.userId)
      })
    },
    async getDevice(userId, deviceId) {
      const [r] = await db.query('SELECT * FROM devices WHERE user_id = $1 AND device_id = $2', [userId, deviceId])
      return r ? toDevice(r) : null
    },
    async listDevices(userId) {
      return (await db.query('SELECT * FROM devices WHERE user_id = $1 AND active ORDER BY device_id', [userId])).map(toDevice)
    },
    async setDeviceList(userId, list) {
      await db.transaction(async (tx) => {
        const [u] = await tx.query('SELECT device_list_version FROM users WHERE user_id = $1 FOR UPDATE', [userId])
        if (!u) throw new NotFoundError('unknown user', { resource: 'user', id: userId })
        if (list.version <= num(u.device_list_version)) throw new InvalidDeviceListError('device list version must increase', { userId })
        await tx.query('UPDATE users SET device_list = $2::jsonb, device_list_version = $3 WHERE user_id = $1', [userId, JSON.stringify(list), list.version])
        await markActive(tx, userId)
      })
    },
    async publishPreKeys(userId, deviceId, keys) {
      return db.transaction(async (tx) => {
        const [d] = await tx.query('SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2 FOR UPDATE', [userId, deviceId])
        if (!d) throw new NotFoundError('device not registered', { resource: 'device', id: deviceId })
        if (keys.signedPreKey) await tx.query('UPDATE devices SET signed_prekey = $3::jsonb WHERE user_id = $1 AND device_id = $2', [userId, deviceId, JSON.stringify(keys.signedPreKey)])
        if (keys.kemLastResortPreKey) await tx.query('UPDATE devices SET kem_last_resort = $3::jsonb WHERE user_id = $1 AND device_id = $2', [userId, deviceId, JSON.stringify(keys.kemLastResortPreKey)])
        await insertPreKeys(tx, userId, deviceId, keys)
        return counts(tx, userId, deviceId)
      })
    },
    async countPreKeys(userId, deviceId) {
      const [d] = await db.query('SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2', [userId, deviceId])
      if (!d) throw new NotFoundError('device not registered', { resource: 'device', id: deviceId })
      return counts(db, userId, deviceId)
    },
    async claimBundles(userId, excludeDeviceId): Promise<ClaimedBundles | null> {
      return db.transaction(async (tx) => {
        const [u] = await tx.query('SELECT identity_key, device_list FROM users WHERE user_id = $1', [userId])
        if (!u || u.identity_key === RESET_IDENTITY) return null
        const devs = await tx.query('SELECT * FROM devices WHERE user_id = $1 AND active ORDER BY device_id', [userId])
        const bundles: DeviceBundle[] = []
        const remaining: ClaimedBundles['remaining'] = []
        for (const d of devs) {
          if (d.device_id === excludeDeviceId) continue
          const claim = (kind: string) => tx.query(
            `DELETE FROM one_time_prekeys WHERE (user_id, device_id, kind, key_id) IN (
               SELECT user_id, device_id, kind, key_id FROM one_time_prekeys
                WHERE user_id = $1 AND device_id = $2 AND kind = $3 ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING key_id, public_key, signature`,
            [userId, d.device_id, kind],
          )
          const [ot] = await claim('x25519')
          const [kem] = await claim('kem')
          bundles.push({
            deviceId: d.device_id as string, signingKey: d.signing_key as string, identityKey: d.identity_key as string,
            signedPreKey: json(d.signed_prekey),
            kemPreKey: kem ? { id: num(kem.key_id), publicKey: kem.public_key as string, signature: kem.signature as string } : json(d.kem_last_resort),
            kemPreKeyIsLastResort: !kem,
            ...(ot ? { oneTimePreKey: { id: num(ot.key_id), publicKey: ot.public_key as string } } : {}),
          })
          remaining.push({ deviceId: d.device_id as string, ...(await counts(tx, userId, d.device_id as string)) })
        }
        return { userId, userIdentityKey: u.identity_key as string, deviceList: json<SignedDeviceList>(u.device_list), bundles, remaining }
      })
    },

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

    // ---- reports: sealed at rest (migration 2); `report` (plain JSON) only in legacy rows ----
    async saveReport(report) {
      const inserted = await db.query(
        `INSERT INTO reports (reporter_user, report_id, conversation_id, received_at, sealed_kid, sealed) VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (reporter_user, report_id) DO NOTHING RETURNING report_id`,
        [report.reporterUserId, report.reportId, report.conversationId, report.receivedAt, report.sealed.kid, report.sealed.data],
      )
      if (inserted.length) return { duplicate: false, report }
      const stored = await store.getReport(report.reporterUserId, report.reportId)
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
