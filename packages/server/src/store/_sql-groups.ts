/**
 * The group methods of the SQL store (docs/groups.md): create a group, append a roster record
 * (compare-and-set on the stored version and head), read the state and the records. A record
 * is written as a `roster` message at the conversation's next seq, with an inbox row for every
 * active device of every member before or after the change but the signer's, in one
 * transaction, so the fan-out commits with the change or not at all.
 */
import { NotFoundError, RosterRejectedError } from '@parley/protocol'
import type { RosterState } from '@parley/crypto'
import { conversationsById, json, num, toMessage, MESSAGE_COLUMNS } from './_sql-rows.js'
import type { SqlDriver, SqlExecutor } from './sql-driver.js'
import type { ParleyStore, Recipient, RosterOutcome, RosterWrite } from './store.js'

type GroupMethods = Pick<ParleyStore, 'createGroup' | 'appendRoster' | 'rosterState' | 'rosterRecords'>

/** Writes the record, the state and the members, and fans out; the conversation row is locked. */
async function writeRoster(tx: SqlExecutor, lastSeq: number, before: string[], mode: string, { record, state, messageId, now }: RosterWrite): Promise<RosterOutcome> {
  const id = record.conversationId
  const seq = lastSeq + 1
  const after = Object.keys(state.members).sort()
  await tx.query('UPDATE conversations SET last_seq = $2, roster_state = $3::jsonb WHERE id = $1', [id, seq, JSON.stringify(state)])
  await tx.query(
    'DELETE FROM conversation_members WHERE conversation_id = $1 AND user_id NOT IN (SELECT jsonb_array_elements_text($2::jsonb))',
    [id, JSON.stringify(after)],
  )
  await tx.query(
    `INSERT INTO conversation_members (conversation_id, user_id, joined_at) SELECT $1, u, $3 FROM jsonb_array_elements_text($2::jsonb) AS u
     ON CONFLICT (conversation_id, user_id) DO NOTHING`,
    [id, JSON.stringify(after), now],
  )
  await tx.query(
    `INSERT INTO messages (id, conversation_id, seq, ts, kind, sender_user, sender_device, mode, roster)
     VALUES ($1, $2, $3, $4, 'roster', $5, $6, $7, $8::jsonb)`,
    [messageId, id, seq, now, record.userId, record.deviceId, mode, JSON.stringify(record)],
  )
  const users = [...new Set([...before, ...after])].sort()
  const devs = await tx.query<{ user_id: string; device_id: string; inbox_seq: unknown }>(
    `UPDATE devices SET inbox_seq = inbox_seq + 1
      WHERE active AND user_id IN (SELECT jsonb_array_elements_text($1::jsonb)) AND NOT (user_id = $2 AND device_id = $3)
      RETURNING user_id, device_id, inbox_seq`,
    [JSON.stringify(users), record.userId, record.deviceId],
  )
  const recipients: Recipient[] = devs.map((d) => ({ userId: d.user_id, deviceId: d.device_id, inboxId: num(d.inbox_seq) }))
    .sort((a, b) => (a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : a.deviceId < b.deviceId ? -1 : 1))
  if (recipients.length) {
    await tx.query(
      'INSERT INTO inbox (user_id, device_id, inbox_id, message_id) SELECT x.u, x.d, x.i, $2 FROM jsonb_to_recordset($1::jsonb) AS x(u text, d text, i bigint)',
      [JSON.stringify(recipients.map((r) => ({ u: r.userId, d: r.deviceId, i: r.inboxId }))), messageId],
    )
  }
  const [conversation] = await conversationsById(tx, 'c.id = $1', [id])
  const [m] = await tx.query(`SELECT ${MESSAGE_COLUMNS} FROM messages m WHERE m.id = $1`, [messageId])
  return { conversation: conversation!, message: toMessage(m!), recipients }
}

export function sqlGroupMethods(db: SqlDriver): GroupMethods {
  return {
    async createGroup(args) {
      return db.transaction(async (tx) => {
        const id = args.record.conversationId
        const inserted = await tx.query(
          `INSERT INTO conversations (id, kind, mode, upgrade_required, created_at) VALUES ($1, 'group', $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING id`,
          [id, args.mode, args.upgradeRequired, args.now],
        )
        if (!inserted.length) throw new RosterRejectedError('the group exists already', { conversationId: id, version: 1, reason: 'stale' })
        return writeRoster(tx, 0, [], args.mode, args)
      })
    },
    async appendRoster(args) {
      return db.transaction(async (tx) => {
        const id = args.record.conversationId
        const [c] = await tx.query('SELECT mode, last_seq, roster_state FROM conversations WHERE id = $1 AND kind = $2 FOR UPDATE', [id, 'group'])
        if (!c || c.roster_state == null) throw new NotFoundError('unknown group', { resource: 'conversation', id })
        const held = json<RosterState>(c.roster_state)
        if (held.version !== args.record.version - 1 || held.head !== args.record.prev) {
          throw new RosterRejectedError('the roster changed since this record was signed: fetch it and try again', { conversationId: id, version: args.record.version, reason: 'stale' })
        }
        return writeRoster(tx, num(c.last_seq), Object.keys(held.members), c.mode as string, args)
      })
    },
    async rosterState(id) {
      const [r] = await db.query('SELECT roster_state FROM conversations WHERE id = $1', [id])
      return r?.roster_state == null ? null : json<RosterState>(r.roster_state)
    },
    async rosterRecords(id, after, limit) {
      const rows = await db.query(
        `SELECT m.seq, m.roster FROM messages m WHERE m.conversation_id = $1 AND m.kind = 'roster' AND (m.roster ->> 'version')::bigint > $2 ORDER BY m.seq LIMIT $3`,
        [id, after, limit],
      )
      return rows.map((r) => ({ record: json(r.roster), seq: num(r.seq) }))
    },
  }
}
