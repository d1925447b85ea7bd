/**
 * The SQL `ResetTicketStore` (PGlite and PostgreSQL; table `reset_tickets`, migration 18) and
 * the two steps that run inside other transactions: a reset writes the ticket, the
 * registration that pins the new identity consumes it (decision 0024).
 */
import { ticketRefusal, type ResetTicketRecord, type ResetTicketStore } from './reset-ticket-store.js'
import type { SqlDriver, SqlExecutor } from './sql-driver.js'

const record = (r: Record<string, unknown>): ResetTicketRecord => ({ hash: r.ticket_hash as string, expiresAt: Number(r.expires_at), attempts: Number(r.attempts) })

export function sqlResetTicketStore(db: SqlDriver): ResetTicketStore {
  return {
    async get(userId) {
      const [r] = await db.query('SELECT ticket_hash, expires_at, attempts FROM reset_tickets WHERE user_id = $1', [userId])
      return r ? record(r) : null
    },
    async fail(userId) {
      const [r] = await db.query<{ attempts: unknown }>('UPDATE reset_tickets SET attempts = attempts + 1 WHERE user_id = $1 RETURNING attempts', [userId])
      return r ? Number(r.attempts) : 0
    },
  }
}

/** Inside `resetIdentity`: the user's pending ticket is `ticket` from now on (a new reset replaces an old ticket). */
export async function issueTicket(tx: SqlExecutor, userId: string, ticket: { hash: string; expiresAt: number }): Promise<void> {
  await tx.query(
    `INSERT INTO reset_tickets (user_id, ticket_hash, expires_at, attempts) VALUES ($1, $2, $3, 0)
     ON CONFLICT (user_id) DO UPDATE SET ticket_hash = EXCLUDED.ticket_hash, expires_at = EXCLUDED.expires_at, attempts = 0`,
    [userId, ticket.hash, ticket.expiresAt],
  )
}

/**
 * Inside `registerDevice`, when it pins a new identity after a reset: consumes the pending
 * ticket (the row is locked, so two registrations cannot both use it) or throws.
 * @throws {ResetTicketError}
 */
export async function consumeTicket(tx: SqlExecutor, userId: string, hash: string | undefined, now: number): Promise<void> {
  const [r] = await tx.query('SELECT ticket_hash, expires_at, attempts FROM reset_tickets WHERE user_id = $1 FOR UPDATE', [userId])
  if (!r) return
  const refusal = ticketRefusal(userId, record(r), hash, now)
  if (refusal) throw refusal
  await tx.query('DELETE FROM reset_tickets WHERE user_id = $1', [userId])
}
