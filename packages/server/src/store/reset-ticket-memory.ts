/** The in-memory `ResetTicketStore` (the reference for `_sql-reset-tickets.ts`), over the memory store's map. */
import { ticketRefusal, type ResetTicketRecord, type ResetTicketStore } from './reset-ticket-store.js'

export type MemoryResetTickets = Map<string, ResetTicketRecord>

export function memoryResetTicketStore(tickets: MemoryResetTickets): ResetTicketStore {
  return {
    async get(userId) {
      const t = tickets.get(userId)
      return t ? { ...t } : null
    },
    async fail(userId) {
      const t = tickets.get(userId)
      if (!t) return 0
      t.attempts += 1
      return t.attempts
    },
  }
}

/**
 * Inside the memory store's `registerDevice`, when it pins a new identity: consumes the
 * pending ticket of `userId` (if any) or throws. Synchronous: nothing interleaves.
 * @throws {ResetTicketError}
 */
export function consumeMemoryTicket(tickets: MemoryResetTickets, userId: string, hash: string | undefined, now: number): void {
  const t = tickets.get(userId)
  if (!t) return
  const refusal = ticketRefusal(userId, t, hash, now)
  if (refusal) throw refusal
  tickets.delete(userId)
}
