/**
 * Group commit on SQL: a whole batch of sends in one transaction with a fixed number of
 * statements (not one per message): resends, conversations with members, devices, then one
 * write statement. Locks conversations, then devices, each in sorted order,
 * so concurrent batches on several nodes never deadlock; seq and inbox ids come from those
 * locked rows, so they are gap-free per conversation and per device.
 */
import { ForbiddenError, NotFoundError } from '@parley/protocol'
import { checkCoverage, checkMode, deliverable, deviceKey } from './_rules.js'
import { MESSAGE_COLUMNS, num, toMessage } from './_sql-rows.js'
import type { SqlExecutor } from './sql-driver.js'
import type { AppendOutcome, FrankingBinder, NewMessage, Recipient, StoredMessage } from './store.js'

const dedupKey = (m: { conversationId: string; sender: { userId: string; deviceId: string }; clientMessageId: string }) =>
  `${m.conversationId}\n${m.sender.userId}\n${m.sender.deviceId}\n${m.clientMessageId}`

/** Appends `batch` inside transaction `tx`. Per-message failures are returned, not thrown. */
export async function appendBatch(tx: SqlExecutor, batch: NewMessage[], bind: FrankingBinder, now: number): Promise<AppendOutcome[]> {
  const outcomes: (AppendOutcome | undefined)[] = new Array(batch.length)
  // 1. Resends already stored.
  const keys = batch.map((m) => ({ c: m.conversationId, u: m.sender.userId, d: m.sender.deviceId, k: m.clientMessageId }))
  const existing = await tx.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m JOIN jsonb_to_recordset($1::jsonb) AS k(c text, u text, d text, k text)
       ON m.conversation_id = k.c AND m.sender_user = k.u AND m.sender_device = k.d AND m.client_message_id = k.k`,
    [JSON.stringify(keys)],
  )
  const stored = new Map<string, StoredMessage>()
  for (const r of existing) {
    const m = toMessage(r)
    stored.set(dedupKey({ conversationId: m.conversationId, sender: m.sender, clientMessageId: m.clientMessageId ?? '' }), m)
  }
  // 2. Lock the conversations, in id order, reading their members in the same statement.
  const convIds = [...new Set(batch.map((m) => m.conversationId))].sort()
  const convRows = await tx.query<{ id: string; mode: string; upgrade_required: unknown; last_seq: unknown; members: string[] | null }>(
    `SELECT c.id, c.mode, c.upgrade_required, c.last_seq,
            ARRAY(SELECT cm.user_id FROM conversation_members cm WHERE cm.conversation_id = c.id) AS members
       FROM conversations c WHERE c.id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY c.id FOR UPDATE OF c`,
    [JSON.stringify(convIds)],
  )
  const convs = new Map(convRows.map((r) => [r.id, { mode: r.mode as 'server-side' | 'e2ee', upgradeRequired: r.upgrade_required === true, lastSeq: num(r.last_seq) }]))
  const members = new Map(convRows.map((r) => [r.id, r.members ?? []]))
  const memberRows = convRows.flatMap((r) => (r.members ?? []).map((user_id) => ({ user_id })))
  const userIds = [...new Set(memberRows.map((r) => r.user_id))]
  // 3. Lock every active device of those members, in (user, device) order.
  const devRows = await tx.query<{ user_id: string; device_id: string; inbox_seq: unknown }>(
    `SELECT user_id, device_id, inbox_seq FROM devices
      WHERE active AND user_id IN (SELECT jsonb_array_elements_text($1::jsonb)) ORDER BY user_id, device_id FOR UPDATE`,
    [JSON.stringify(userIds)],
  )
  const devicesOf = new Map<string, { userId: string; deviceId: string }[]>()
  const inboxSeq = new Map<string, number>()
  for (const r of devRows) {
    devicesOf.set(r.user_id, [...(devicesOf.get(r.user_id) ?? []), { userId: r.user_id, deviceId: r.device_id }])
    inboxSeq.set(deviceKey({ userId: r.user_id, deviceId: r.device_id }), num(r.inbox_seq))
  }
  const startSeq = new Map([...convs].map(([id, c]) => [id, c.lastSeq]))
  const startInbox = new Map(inboxSeq)

  // 4. Decide each message in memory.
  const msgRows: Record<string, unknown>[] = []
  const inboxRows: Record<string, unknown>[] = []
  const inBatch = new Map<string, number>()
  batch.forEach((nm, i) => {
    const dk = dedupKey(nm)
    const prior = stored.get(dk)
    if (prior) {
      outcomes[i] = { ok: true, duplicate: true, message: prior, recipients: [] }
      return
    }
    const first = inBatch.get(dk)
    if (first !== undefined) return // resolved after the loop, from the first copy
    try {
      const c = convs.get(nm.conversationId)
      const who = members.get(nm.conversationId) ?? []
      if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: nm.conversationId })
      if (!who.includes(nm.sender.userId)) throw new ForbiddenError('not a member of this conversation')
      checkMode(nm.conversationId, c.mode, c.upgradeRequired, nm.mode)
      const targets = who.flatMap((u) => devicesOf.get(u) ?? []).filter((d) => deviceKey(d) !== deviceKey(nm.sender))
      if (nm.mode === 'e2ee') checkCoverage(nm.envelopes ?? [], targets)
      c.lastSeq += 1
      const seq = c.lastSeq
      const franking = bind(nm, seq, now)
      const message: StoredMessage = {
        id: nm.id, conversationId: nm.conversationId, seq, ts: now, kind: 'message', sender: { ...nm.sender },
        clientMessageId: nm.clientMessageId, mode: nm.mode, deleted: false, franking,
        ...(nm.sealedBody ? { sealedBody: nm.sealedBody } : {}),
        ...(nm.attachments?.length ? { attachments: nm.attachments } : {}),
        ...(nm.expiresAt !== undefined ? { expiresAt: nm.expiresAt } : {}),
      }
      msgRows.push({
        id: nm.id, c: nm.conversationId, seq, ts: now, u: nm.sender.userId, d: nm.sender.deviceId, k: nm.clientMessageId,
        mode: nm.mode, bk: nm.sealedBody?.kid ?? null, b: nm.sealedBody?.data ?? null,
        a: nm.attachments?.length ? nm.attachments : null, f: franking, x: nm.expiresAt ?? null,
      })
      const envs = new Map((nm.envelopes ?? []).map((e) => [deviceKey(e), e]))
      const recipients: Recipient[] = deliverable(targets, nm).map((t) => {
        const key = deviceKey(t)
        const id = (inboxSeq.get(key) ?? 0) + 1
        inboxSeq.set(key, id)
        const e = envs.get(key)
        inboxRows.push({ u: t.userId, d: t.deviceId, i: id, m: nm.id, t: e?.type ?? null, c: e?.ciphertext ?? null })
        return { userId: t.userId, deviceId: t.deviceId, inboxId: id, ...(e ? { envelope: { type: e.type, ciphertext: e.ciphertext } } : {}) }
      })
      outcomes[i] = { ok: true, duplicate: false, message, recipients }
      inBatch.set(dk, i)
    } catch (error) {
      outcomes[i] = { ok: false, error }
    }
  })
  batch.forEach((nm, i) => {
    if (outcomes[i]) return
    const first = outcomes[inBatch.get(dedupKey(nm))!]
    outcomes[i] = first && first.ok ? { ok: true, duplicate: true, message: first.message, recipients: [] } : first!
  })

  // 5. Write counters, messages and inbox rows: one statement for the whole batch (inbox rows
  // reference messages inserted by the CTE; the foreign key is checked at the statement's end).
  const seqUpdates = [...convs].filter(([id, c]) => c.lastSeq !== startSeq.get(id)).map(([id, c]) => ({ id, s: c.lastSeq }))
  const devUpdates = [...inboxSeq].filter(([k, v]) => v !== startInbox.get(k)).map(([k, v]) => {
    const [u, d] = k.split('\n')
    return { u, d, s: v }
  })
  if (seqUpdates.length || devUpdates.length || msgRows.length || inboxRows.length) {
    await tx.query(
      `WITH seqs AS (
         UPDATE conversations SET last_seq = x.s FROM jsonb_to_recordset($1::jsonb) AS x(id text, s bigint) WHERE conversations.id = x.id
       ), cursors AS (
         UPDATE devices SET inbox_seq = x.s FROM jsonb_to_recordset($2::jsonb) AS x(u text, d text, s bigint)
          WHERE devices.user_id = x.u AND devices.device_id = x.d
       ), msgs AS (
         INSERT INTO messages (id, conversation_id, seq, ts, kind, sender_user, sender_device, client_message_id, mode, body_kid, body, attachments, franking, expires_at)
         SELECT x.id, x.c, x.seq, x.ts, 'message', x.u, x.d, x.k, x.mode, x.bk, x.b, x.a, x.f, x.x
           FROM jsonb_to_recordset($3::jsonb) AS x(id text, c text, seq bigint, ts bigint, u text, d text, k text, mode text, bk text, b text, a jsonb, f jsonb, x bigint)
       )
       INSERT INTO inbox (user_id, device_id, inbox_id, message_id, envelope_type, ciphertext)
       SELECT x.u, x.d, x.i, x.m, x.t, x.c FROM jsonb_to_recordset($4::jsonb) AS x(u text, d text, i bigint, m text, t text, c text)`,
      [JSON.stringify(seqUpdates), JSON.stringify(devUpdates), JSON.stringify(msgRows), JSON.stringify(inboxRows)],
    )
  }
  return outcomes as AppendOutcome[]
}
