/**
 * Group commit on SQL: a whole batch of sends with a fixed number of statements, never one
 * per message. Two paths decide through the same `decideBatch`:
 *
 * - **Checked** (the usual one): when this node's {@link AppendCache} knows every
 *   conversation of the batch, the batch is decided from it and written by one statement
 *   (its own transaction: one round trip, one WAL flush). That statement moves each counter
 *   only from the value the decision read (`last_seq = prev`, `inbox_seq = prev`, same mode,
 *   same active devices) and calls `parley_append_check`, which aborts it, writing nothing,
 *   when any of that is no longer true — another node appended, a device was added, the
 *   conversation was upgraded — or a message is a resend of a stored one (unique violation).
 * - **Locking** (first sight of a conversation, or after the checked write was refused): one
 *   transaction reads resends, locks the conversations, then their members' active devices,
 *   each in sorted order, so concurrent batches on several nodes never deadlock; then the same
 *   write statement.
 *
 * Either way seq and inbox ids are gap-free per conversation and per device, and the caller
 * acks only after the commit.
 */
import { MESSAGE_COLUMNS, num, toMessage } from './_sql-rows.js'
import { AppendCache } from './_append-cache.js'
import { decideBatch, dedupKey, type AppendConversation, type AppendState, type Decided } from './_append-decide.js'
import { deviceKey } from './_rules.js'
import { APPEND_STALE_SQLSTATE, RETRYABLE_SQLSTATES, sqlState, type SqlDriver, type SqlExecutor } from './sql-driver.js'
import type { AppendOutcome, FrankingBinder, NewMessage, StoredMessage } from './store.js'

/** A checked write refused for one of these falls back to the locking path. */
const FALL_BACK_ON = [APPEND_STALE_SQLSTATE, '23505', ...RETRYABLE_SQLSTATES]
/** Unique violations are retried for locking appends: a concurrent resend of one message on two nodes. */
const LOCKING_RETRY = [...RETRYABLE_SQLSTATES, '23505', APPEND_STALE_SQLSTATE]

/**
 * The one write statement: counters moved from the values decided on, rows inserted, all
 * checked. Each list travels as one JSON array per column, zipped by `ROWS FROM`: measured
 * cheaper on both sides than PostgreSQL array parameters (node-postgres builds those in JS)
 * or one JSON array of row objects.
 */
const WRITE_SQL = `WITH seqs AS (
  UPDATE conversations c SET last_seq = x.next::bigint
    FROM ROWS FROM (${cols(1, 5)}) AS x(id, prev, next, mode, up)
   WHERE c.id = x.id AND c.last_seq = x.prev::bigint AND c.mode = x.mode AND c.upgrade_required = x.up::boolean
  RETURNING 1
), cursors AS (
  UPDATE devices d SET inbox_seq = x.next::bigint
    FROM ROWS FROM (${cols(6, 4)}) AS x(u, dv, prev, next)
   WHERE d.user_id = x.u AND d.device_id = x.dv AND d.inbox_seq = x.prev::bigint AND d.active
  RETURNING 1
), msgs AS (
  INSERT INTO messages (id, conversation_id, seq, ts, kind, sender_user, sender_device, client_message_id, mode, body_kid, body, attachments, franking, expires_at, sender_key)
  SELECT x.id, x.c, x.seq::bigint, $10, 'message', x.u, x.d, x.k, x.mode, x.bk, x.b, x.a::jsonb, x.f::jsonb, x.x::bigint, x.sk::jsonb
    FROM ROWS FROM (${cols(11, 12)}, ${cols(32, 1)}) AS x(id, c, seq, u, d, k, mode, bk, b, a, f, x, sk)
), inbox_rows AS (
  INSERT INTO inbox (user_id, device_id, inbox_id, message_id, envelope_type, ciphertext)
  SELECT x.u, x.d, x.i::bigint, x.m, x.t, x.c FROM ROWS FROM (${cols(23, 6)}) AS x(u, d, i, m, t, c)
)
SELECT parley_append_check(
  (SELECT count(*) FROM seqs) = json_array_length($1::json)
  AND (SELECT count(*) FROM cursors) = json_array_length($6::json)
  AND (SELECT count(*) FROM devices WHERE active AND user_id IN (SELECT json_array_elements_text($29::json))) = json_array_length($30::json)
  AND (SELECT count(*) FROM devices d JOIN ROWS FROM (${cols(30, 2)}) AS a(u, dv) ON d.user_id = a.u AND d.device_id = a.dv WHERE d.active) = json_array_length($30::json)
) AS ok`
/** Prepared-statement name of {@link WRITE_SQL} (bump the suffix whenever its text changes). */
const WRITE_NAME = 'parley_append_write_v2'

/** `json_array_elements_text($first::json), …` for `count` parameters. */
function cols(first: number, count: number): string {
  return Array.from({ length: count }, (_, i) => `json_array_elements_text($${first + i}::json)`).join(', ')
}

function writeParams(d: Decided, state: AppendState, now: number): unknown[] {
  const users = [...new Set(d.seqs.flatMap((s) => state.conversations.get(s.id)!.members))]
  const activeUsers: string[] = []
  const activeDevices: string[] = []
  for (const u of users) {
    for (const dv of state.devicesOf.get(u) ?? []) {
      activeUsers.push(u)
      activeDevices.push(dv)
    }
  }
  const col = <T, K extends keyof T>(rows: readonly T[], k: K) => JSON.stringify(rows.map((r) => r[k]))
  const { seqs, cursors, messages: m, inbox: i } = d
  return [
    col(seqs, 'id'), col(seqs, 'prev'), col(seqs, 'next'), col(seqs, 'mode'), col(seqs, 'upgradeRequired'),
    col(cursors, 'userId'), col(cursors, 'deviceId'), col(cursors, 'prev'), col(cursors, 'next'),
    now,
    col(m, 'id'), col(m, 'conversationId'), col(m, 'seq'), col(m, 'userId'), col(m, 'deviceId'), col(m, 'clientMessageId'), col(m, 'mode'),
    col(m, 'bodyKid'), col(m, 'body'), col(m, 'attachments'), col(m, 'franking'), col(m, 'expiresAt'),
    col(i, 'userId'), col(i, 'deviceId'), col(i, 'inboxId'), col(i, 'messageId'), col(i, 'type'), col(i, 'ciphertext'),
    JSON.stringify(users), JSON.stringify(activeUsers), JSON.stringify(activeDevices),
    col(m, 'senderKey'),
  ]
}

async function write(q: SqlExecutor, d: Decided, state: AppendState, now: number): Promise<void> {
  if (!d.messages.length) return
  await q.query(WRITE_SQL, writeParams(d, state, now), { name: WRITE_NAME, write: true })
}

/** Reads the batch's state under lock: resends, then conversations, then devices, in sorted order. */
async function readLocked(tx: SqlExecutor, batch: readonly NewMessage[]): Promise<AppendState> {
  const existing = await tx.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS k(c, u, d, k)
       ON m.conversation_id = k.c AND m.sender_user = k.u AND m.sender_device = k.d AND m.client_message_id = k.k`,
    [batch.map((m) => m.conversationId), batch.map((m) => m.sender.userId), batch.map((m) => m.sender.deviceId), batch.map((m) => m.clientMessageId)],
    { name: 'parley_append_resends_v2' },
  )
  const stored = new Map<string, StoredMessage>()
  for (const r of existing) {
    const m = toMessage(r)
    stored.set(dedupKey({ conversationId: m.conversationId, sender: m.sender, clientMessageId: m.clientMessageId ?? '' }), m)
  }
  const convRows = await tx.query<{ id: string; mode: string; upgrade_required: unknown; last_seq: unknown; members: string[] | null }>(
    `SELECT c.id, c.mode, c.upgrade_required, c.last_seq,
            ARRAY(SELECT cm.user_id FROM conversation_members cm WHERE cm.conversation_id = c.id ORDER BY cm.user_id) AS members
       FROM conversations c WHERE c.id = ANY($1::text[]) ORDER BY c.id FOR UPDATE OF c`,
    [[...new Set(batch.map((m) => m.conversationId))].sort()],
    { name: 'parley_append_lock_conversations_v1' },
  )
  const conversations = new Map<string, AppendConversation>(convRows.map((r) => [r.id, {
    mode: r.mode as AppendConversation['mode'], upgradeRequired: r.upgrade_required === true, lastSeq: num(r.last_seq), members: r.members ?? [],
  }]))
  const userIds = [...new Set(convRows.flatMap((r) => r.members ?? []))].sort()
  const devRows = await tx.query<{ user_id: string; device_id: string; inbox_seq: unknown }>(
    `SELECT user_id, device_id, inbox_seq FROM devices WHERE active AND user_id = ANY($1::text[]) ORDER BY user_id, device_id FOR UPDATE`,
    [userIds],
    { name: 'parley_append_lock_devices_v1' },
  )
  const devicesOf = new Map<string, string[]>(userIds.map((u) => [u, []]))
  const inboxSeq = new Map<string, number>()
  for (const r of devRows) {
    devicesOf.get(r.user_id)!.push(r.device_id)
    inboxSeq.set(deviceKey({ userId: r.user_id, deviceId: r.device_id }), num(r.inbox_seq))
  }
  return { stored, conversations, devicesOf, inboxSeq }
}

/** Appends `batch`: checked from the cache when it knows the batch, else (or when refused) locking. */
export async function appendBatch(db: SqlDriver, cache: AppendCache, batch: NewMessage[], bind: FrankingBinder, now: number): Promise<AppendOutcome[]> {
  const known = cache.state(batch)
  if (known) {
    const decided = decideBatch(batch, known, bind, now)
    // Refusals and resends are decided on fresh state only: the cache is a guess.
    if (!decided.anyNotNew) {
      try {
        await write(db, decided, known, now)
        cache.learn(known, decided)
        return decided.outcomes
      } catch (e) {
        cache.forget(batch)
        if (!FALL_BACK_ON.includes(sqlState(e) ?? '')) throw e
      }
    }
  }
  try {
    const { state, decided } = await db.transaction(async (tx) => {
      const state = await readLocked(tx, batch)
      const decided = decideBatch(batch, state, bind, now)
      await write(tx, decided, state, now)
      return { state, decided }
    }, LOCKING_RETRY)
    cache.learn(state, decided)
    return decided.outcomes
  } catch (e) {
    cache.forget(batch)
    throw e
  }
}

export { AppendCache }
