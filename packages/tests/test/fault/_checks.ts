/**
 * What every fault scenario asserts once its traffic settled: the clients' ledger (acked →
 * delivered exactly once, nothing unacked reported as sent, refused sends neither stored nor
 * delivered) and the store itself, read directly (no half-written rows: counters match rows,
 * every message has its inbox rows, E2EE rows carry ciphertext only).
 */
import { expect } from 'vitest'
import pg from 'pg'
import type { Ledger } from './_traffic.js'

/** Checks the ledger; returns the figures for the scenario's printed summary. */
export function checkLedger(ledger: Ledger): { queued: number; acked: number; refused: number; received: number } {
  const byText = new Map<string, string[]>()
  for (const m of ledger.received) byText.set(m.text, [...(byText.get(m.text) ?? []), m.id])
  // Every acked message reached its receiver exactly once (after the client's dedup), under
  // the id the sender was acked with.
  for (const [text, id] of ledger.acked) {
    expect(byText.get(text), `acked message ${text} delivered exactly once`).toEqual([id])
  }
  // Nothing arrives that was never sent, nor twice.
  for (const [text, ids] of byText) {
    expect(ledger.queued.has(text), `received ${text} was sent`).toBe(true)
    expect(ids.length, `${text} received once`).toBe(1)
  }
  // A refused send (its promise rejected) never reaches the peer.
  for (const text of ledger.refused.keys()) expect(byText.has(text), `refused ${text} not delivered`).toBe(false)
  // Every send settled one way: acked or refused, never both, never neither.
  for (const text of ledger.queued) expect(ledger.acked.has(text) !== ledger.refused.has(text), `${text} settled once`).toBe(true)
  // Nothing the server did not ack is reported `sent`.
  const ackedIds = new Map([...ledger.acked].map(([t, id]) => [id, t]))
  for (const [id, text] of ledger.reportedSent) expect(ackedIds.get(id), `reported sent ${id}`).toBe(text)
  return { queued: ledger.queued.size, acked: ledger.acked.size, refused: ledger.refused.size, received: ledger.received.length }
}

/** Reads the store directly: counters match rows; every message is whole. */
export async function checkStore(databaseUrl: string, ledger?: Ledger): Promise<{ messages: number; inboxRows: number }> {
  const db = new pg.Client({ connectionString: databaseUrl })
  await db.connect()
  try {
    const q = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows
    // Each conversation's counter equals its rows: seqs 1..last_seq, none missing, none beyond.
    const convs = await q(`SELECT c.id, c.last_seq::int AS last, count(m.id)::int AS n, coalesce(max(m.seq), 0)::int AS top
      FROM conversations c LEFT JOIN messages m ON m.conversation_id = c.id GROUP BY c.id, c.last_seq`)
    for (const c of convs) expect({ id: c.id, n: c.n, top: c.top }).toEqual({ id: c.id, n: c.last, top: c.last })
    // Each device's inbox counter equals its rows.
    const devs = await q(`SELECT d.user_id, d.inbox_seq::int AS seq, count(i.inbox_id)::int AS n, coalesce(max(i.inbox_id), 0)::int AS top
      FROM devices d LEFT JOIN inbox i ON i.user_id = d.user_id AND i.device_id = d.device_id GROUP BY d.user_id, d.device_id, d.inbox_seq`)
    for (const d of devs) expect({ user: d.user_id, n: d.n, top: d.top }).toEqual({ user: d.user_id, n: d.seq, top: d.seq })
    // Every message has one inbox row per device of the other members (1:1, one device each here).
    const partial = await q(`SELECT m.id, (SELECT count(*) FROM inbox i WHERE i.message_id = m.id)::int AS rows,
        (SELECT count(*) FROM devices d JOIN conversation_members cm ON cm.user_id = d.user_id
          WHERE cm.conversation_id = m.conversation_id AND d.active AND NOT (d.user_id = m.sender_user AND d.device_id = m.sender_device))::int AS want
      FROM messages m WHERE m.kind = 'message'`)
    expect(partial.filter((r) => r.rows !== r.want)).toEqual([])
    // E2EE rows: no readable body on the server; each inbox row carries its ciphertext.
    expect(await q(`SELECT id FROM messages WHERE mode = 'e2ee' AND kind = 'message' AND body IS NOT NULL`)).toEqual([])
    expect(await q(`SELECT i.message_id FROM inbox i JOIN messages m ON m.id = i.message_id WHERE m.mode = 'e2ee' AND i.ciphertext IS NULL`)).toEqual([])
    if (ledger) {
      // The store holds every acked message and none of the refused ones.
      const ids = new Set((await q(`SELECT id FROM messages WHERE kind = 'message'`)).map((r) => r.id as string))
      for (const [text, id] of ledger.acked) expect(ids.has(id), `acked ${text} stored`).toBe(true)
      const cmids = new Set((await q(`SELECT client_message_id FROM messages WHERE client_message_id IS NOT NULL`)).map((r) => r.client_message_id as string))
      for (const text of ledger.refused.keys()) {
        const cmid = ledger.clientIds.get(text)
        if (cmid) expect(cmids.has(cmid), `refused ${text} not stored`).toBe(false)
      }
    }
    const [{ n: messages }] = await q(`SELECT count(*)::int AS n FROM messages`)
    const [{ n: inboxRows }] = await q(`SELECT count(*)::int AS n FROM inbox`)
    return { messages, inboxRows }
  } finally {
    await db.end()
  }
}
