/**
 * Row ↔ record mapping for the SQL store. `bigint` columns arrive as strings from
 * node-postgres and as numbers (or bigints) from PGlite; `json` may arrive as text.
 */
import type { ConversationRecord, DeviceRecord, StoredDelivery, StoredMessage } from './store.js'
import type { SqlExecutor } from './sql-driver.js'

/** A bigint/int column as a JS number. */
export function num(x: unknown): number {
  return typeof x === 'number' ? x : Number(x as string)
}

/** A json/jsonb column as a value. */
export function json<T>(x: unknown): T {
  return (typeof x === 'string' ? JSON.parse(x) : x) as T
}

/** The message columns every message query selects (alias `m`). */
export const MESSAGE_COLUMNS =
  'm.id, m.conversation_id, m.seq, m.ts, m.kind, m.sender_user, m.sender_device, m.client_message_id, m.mode, ' +
  'm.body_kid, m.body, m.attachments, m.franking, m.mode_change, m.deleted, m.expires_at, m.roster, m.sender_key'

export function toMessage(r: Record<string, unknown>): StoredMessage {
  const m: StoredMessage = {
    id: r.id as string,
    conversationId: r.conversation_id as string,
    seq: num(r.seq),
    ts: num(r.ts),
    kind: r.kind as StoredMessage['kind'],
    sender: { userId: r.sender_user as string, deviceId: r.sender_device as string },
    mode: r.mode as StoredMessage['mode'],
    deleted: r.deleted === true,
  }
  if (r.client_message_id != null) m.clientMessageId = r.client_message_id as string
  if (r.body != null && r.body_kid != null) m.sealedBody = { kid: r.body_kid as string, data: r.body as string }
  if (r.attachments != null) m.attachments = json(r.attachments)
  if (r.franking != null) m.franking = json(r.franking)
  if (r.mode_change != null) m.modeChange = json(r.mode_change)
  if (r.roster != null) m.roster = json(r.roster)
  if (r.sender_key != null) m.senderKey = json(r.sender_key)
  if (r.expires_at != null) m.expiresAt = num(r.expires_at)
  return m
}

export function toDelivery(r: Record<string, unknown>): StoredDelivery {
  const d: StoredDelivery = { inboxId: r.inbox_id == null ? 0 : num(r.inbox_id), message: toMessage(r) }
  if (r.ciphertext != null && r.envelope_type != null) d.envelope = { type: r.envelope_type as 'prekey' | 'message', ciphertext: r.ciphertext as string }
  return d
}

export function toConversation(r: Record<string, unknown>, members: string[]): ConversationRecord {
  const c: ConversationRecord = {
    id: r.id as string,
    kind: r.kind === 'group' ? 'group' : 'direct',
    members: [...members].sort(),
    encryption: r.mode as ConversationRecord['encryption'],
    upgradeRequired: r.upgrade_required === true,
    createdAt: num(r.created_at),
    lastSeq: num(r.last_seq),
  }
  if (r.mode_change != null) c.modeChange = json(r.mode_change)
  if (r.roster_version != null) c.rosterVersion = num(r.roster_version)
  if (r.disappearing != null) c.disappearing = json(r.disappearing)
  return c
}

export function toDevice(r: Record<string, unknown>): DeviceRecord {
  return {
    userId: r.user_id as string,
    deviceId: r.device_id as string,
    signingKey: r.signing_key as string,
    identityKey: r.identity_key as string,
    active: r.active === true,
    inboxSeq: num(r.inbox_seq),
    inboxCursor: num(r.inbox_cursor),
  }
}

/** Conversations matching `where` (alias `c`), with their members, oldest first. */
export async function conversationsById(q: SqlExecutor, where: string, params: unknown[]): Promise<ConversationRecord[]> {
  const rows = await q.query(`SELECT c.id, c.kind, c.mode, c.upgrade_required, c.created_at, c.last_seq, c.mode_change, c.disappearing, (c.roster_state ->> 'version')::bigint AS roster_version FROM conversations c WHERE ${where} ORDER BY c.created_at, c.id`, params)
  if (!rows.length) return []
  const mem = await q.query<{ conversation_id: string; user_id: string }>(
    'SELECT conversation_id, user_id FROM conversation_members WHERE conversation_id IN (SELECT jsonb_array_elements_text($1::jsonb))',
    [JSON.stringify(rows.map((r) => r.id))],
  )
  const by = new Map<string, string[]>()
  for (const r of mem) by.set(r.conversation_id, [...(by.get(r.conversation_id) ?? []), r.user_id])
  return rows.map((r) => toConversation(r, by.get(r.id as string) ?? []))
}
