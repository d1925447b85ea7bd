/**
 * The `SafetyStore` on SQL (PGlite and PostgreSQL, tables of migration 4 `safety-controls`).
 * Every method is one statement, so each is atomic on its own; ids are compared and ordered
 * `COLLATE "C"` (byte order), as the memory backend orders them.
 */
import type { RequestState } from '@parley/protocol'
import { num } from './_sql-rows.js'
import type { SqlExecutor } from './sql-driver.js'
import type { PairSafety, RequestRecord, SafetyStore } from './safety-store.js'

const REQUEST_COLUMNS = 'conversation_id, recipient, requester, state, since'

function toRequest(r: Record<string, unknown>): RequestRecord {
  return {
    conversationId: r.conversation_id as string,
    recipient: r.recipient as string,
    requester: r.requester as string,
    state: r.state as RequestState,
    since: num(r.since),
  }
}

/** The safety store over `db` (the SQL store's driver; the schema is migrated by `sqlStore`). */
export function sqlSafetyStore(db: SqlExecutor): SafetyStore {
  return {
    async block(blocker, blocked, now) {
      // One statement: insert, or keep the existing row (`xmax = 0` only for a fresh insert).
      const [r] = await db.query(
        `INSERT INTO blocks AS b (blocker, blocked, since) VALUES ($1, $2, $3)
         ON CONFLICT (blocker, blocked) DO UPDATE SET since = b.since
         RETURNING since, (xmax = 0) AS created`,
        [blocker, blocked, now],
      )
      return { since: num(r!.since), created: r!.created === true }
    },
    async unblock(blocker, blocked) {
      const rows = await db.query('DELETE FROM blocks WHERE blocker = $1 AND blocked = $2 RETURNING 1', [blocker, blocked])
      return { removed: rows.length > 0 }
    },
    async listBlocked(blocker, after, limit) {
      const rows = await db.query(
        `SELECT blocked, since FROM blocks WHERE blocker = $1 AND ($2::text IS NULL OR blocked COLLATE "C" > $2::text)
         ORDER BY blocked COLLATE "C" LIMIT $3`,
        [blocker, after ?? null, limit],
      )
      return rows.map((r) => ({ userId: r.blocked as string, since: num(r.since) }))
    },
    async pairs(queries) {
      if (!queries.length) return []
      // One statement for the whole list: each query's blocks (a→b, b→a, each a primary-key
      // lookup) and its conversation's request, tagged with the query's index.
      const rows = await db.query(
        `WITH q AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS q(i int, a text, b text, c text))
         SELECT q.i, 'ab' AS kind, NULL::text AS recipient, NULL::text AS requester, NULL::text AS state, NULL::bigint AS since, NULL::text AS conversation_id
           FROM q JOIN blocks bl ON bl.blocker = q.a AND bl.blocked = q.b
         UNION ALL
         SELECT q.i, 'ba', NULL, NULL, NULL, NULL, NULL FROM q JOIN blocks bl ON bl.blocker = q.b AND bl.blocked = q.a
         UNION ALL
         SELECT q.i, 'request', r.recipient, r.requester, r.state, r.since, r.conversation_id FROM q JOIN message_requests r ON r.conversation_id = q.c`,
        [JSON.stringify(queries.map((x, i) => ({ i, a: x.a, b: x.b, c: x.conversationId ?? null })))],
        // Every send runs it (batched): prepared once per connection, not parsed and planned each time.
        { name: 'parley_safety_pairs_v1' },
      )
      const out = queries.map((): PairSafety => ({ aBlocksB: false, bBlocksA: false, request: null }))
      for (const r of rows) {
        const o = out[Number(r.i)]!
        if (r.kind === 'ab') o.aBlocksB = true
        else if (r.kind === 'ba') o.bBlocksA = true
        else o.request = toRequest(r)
      }
      return out
    },

    async setMuted(userId, conversationId, muted, now) {
      const rows = muted
        ? await db.query('INSERT INTO mutes (user_id, conversation_id, since) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1', [userId, conversationId, now])
        : await db.query('DELETE FROM mutes WHERE user_id = $1 AND conversation_id = $2 RETURNING 1', [userId, conversationId])
      return { changed: rows.length > 0 }
    },
    async isMuted(userId, conversationId) {
      return (await db.query('SELECT 1 FROM mutes WHERE user_id = $1 AND conversation_id = $2', [userId, conversationId])).length > 0
    },
    async listMuted(userId, after, limit) {
      const rows = await db.query(
        `SELECT conversation_id, since FROM mutes WHERE user_id = $1 AND ($2::text IS NULL OR conversation_id COLLATE "C" > $2::text)
         ORDER BY conversation_id COLLATE "C" LIMIT $3`,
        [userId, after ?? null, limit],
      )
      return rows.map((r) => ({ conversationId: r.conversation_id as string, since: num(r.since) }))
    },

    async openRequest({ conversationId, recipient, requester, now }) {
      const created = await db.query(
        `INSERT INTO message_requests (conversation_id, recipient, requester, state, since) VALUES ($1, $2, $3, 'pending', $4)
         ON CONFLICT (conversation_id) DO NOTHING RETURNING ${REQUEST_COLUMNS}`,
        [conversationId, recipient, requester, now],
      )
      if (created.length) return { created: true, request: toRequest(created[0]!) }
      // Requests are never deleted, so the row that won the conflict is still there.
      const [found] = await db.query(`SELECT ${REQUEST_COLUMNS} FROM message_requests WHERE conversation_id = $1`, [conversationId])
      return { created: false, request: toRequest(found!) }
    },
    async moveRequest({ conversationId, recipient, from, to, now }) {
      const rows = await db.query(
        `WITH prev AS (
           SELECT conversation_id, state FROM message_requests
            WHERE conversation_id = $1 AND recipient = $2 AND state IN (SELECT jsonb_array_elements_text($3::jsonb)) FOR UPDATE
         )
         UPDATE message_requests r SET state = $4, since = CASE WHEN prev.state = $4 THEN r.since ELSE $5 END
           FROM prev WHERE r.conversation_id = prev.conversation_id
         RETURNING r.conversation_id, r.recipient, r.requester, r.state, r.since, prev.state AS previous`,
        [conversationId, recipient, JSON.stringify(from), to, now],
      )
      const r = rows[0]
      return r ? { request: toRequest(r), changed: r.previous !== to } : null
    },
    async listRequests(recipient, after, limit) {
      const rows = await db.query(
        `SELECT ${REQUEST_COLUMNS} FROM message_requests
          WHERE recipient = $1 AND state <> 'accepted' AND ($2::text IS NULL OR conversation_id COLLATE "C" > $2::text)
          ORDER BY conversation_id COLLATE "C" LIMIT $3`,
        [recipient, after ?? null, limit],
      )
      return rows.map(toRequest)
    },

    async withhold(messageId, userIds) {
      if (!userIds.length) return
      await db.query(
        'INSERT INTO withheld (user_id, message_id) SELECT u, $1 FROM jsonb_array_elements_text($2::jsonb) AS u ON CONFLICT DO NOTHING',
        [messageId, JSON.stringify([...new Set(userIds)])],
      )
    },
    async withheldAmong(userId, messageIds) {
      if (!messageIds.length) return []
      const rows = await db.query(
        'SELECT message_id FROM withheld WHERE user_id = $1 AND message_id IN (SELECT jsonb_array_elements_text($2::jsonb))',
        [userId, JSON.stringify([...new Set(messageIds)])],
      )
      return rows.map((r) => r.message_id as string)
    },
  }
}
