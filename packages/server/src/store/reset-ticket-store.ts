/**
 * `ResetTicketStore`: the one-time registration ticket an account reset issues (issue 17,
 * decision 0024, docs/recovery.md). After `parley.resetIdentity` the next registration that
 * pins a new identity for the user must present the ticket; a lost device that still holds a
 * session token does not have it. Only a SHA-256 hash of the ticket is stored, with an expiry
 * and a count of wrong attempts (for operators to watch; wrong tickets never burn the ticket,
 * or a lost device could block the user's recovery by sending a few — 256 random bits are never
 * guessed, so a bound would add no protection). A sub-interface of the store (`store.resetTickets`); the
 * ticket is written by `resetIdentity` and consumed by `registerDevice`, inside their own
 * transactions (single use). One conformance suite (`contract-recovery.ts`).
 */
import { ResetTicketError, type ResetTicketReason } from '@parley/protocol'

/** How long a reset's registration ticket stays valid (ms): a day to deliver it out of band and use it. */
export const RESET_TICKET_TTL_MS = 24 * 60 * 60 * 1000
/** A pending ticket as stored. */
export interface ResetTicketRecord {
  /** Hex SHA-256 of the ticket (the ticket itself is never stored). */
  hash: string
  expiresAt: number
  /** Wrong tickets presented so far (counted for operators; never refuses the right ticket). */
  attempts: number
}

export interface ResetTicketStore {
  /** The pending ticket of `userId`, or null when none is required (never reset, or consumed). */
  get(userId: string): Promise<ResetTicketRecord | null>
  /** Counts one wrong ticket; returns the new count (0 when no ticket is pending). */
  fail(userId: string): Promise<number>
}

/**
 * Why a registration presenting `hash` (hex SHA-256, or undefined when none) may not consume
 * `record` at `now` — null when it may. The stores call it inside the registering transaction
 * (so a ticket is used once); the handler first compares in constant time and counts failures.
 */
export function ticketRefusal(userId: string, record: ResetTicketRecord, hash: string | undefined, now: number): ResetTicketError | null {
  const refuse = (reason: ResetTicketReason, message: string) => new ResetTicketError(message, { userId, reason })
  if (now > record.expiresAt) return refuse('expired', 'the registration ticket of this reset expired (reset again for a new one)')
  if (hash === undefined) return refuse('missing', 'this user\'s identity was reset: registering a new identity needs the one-time ticket of that reset')
  if (hash !== record.hash) return refuse('invalid', 'this is not the registration ticket of this user\'s reset (or it was already used)')
  return null
}
