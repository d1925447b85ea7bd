/**
 * The one-time registration ticket of an account reset (issue 17, decision 0024,
 * docs/recovery.md). `parley.resetIdentity` issues 256 random bits, returns them once (as 43
 * base64url characters) and stores only their SHA-256 with an expiry
 * ({@link RESET_TICKET_TTL_MS}). The integrator's app hands the ticket to the re-authenticated
 * user out of band; the registration that pins the user's new identity must present it. A lost
 * device with a valid session token, which hears of the reset, can no longer register a key of
 * its own first. Here: issuing, hashing, and the handler's check (constant-time compare, wrong
 * attempts counted but never burning the ticket); the store consumes the ticket
 * atomically with the registration.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { RESET_TICKET_BYTES } from '@parley/protocol'
import type { Ctx } from '../context.js'
import { RESET_TICKET_TTL_MS, ticketRefusal } from '../store/reset-ticket-store.js'

export { RESET_TICKET_TTL_MS }

/** Hex SHA-256 of a ticket: what the store keeps and compares. */
export const hashTicket = (ticket: string): string => createHash('sha256').update(ticket, 'utf8').digest('hex')

/** A fresh ticket, its hash and its expiry. */
export function newTicket(now: number): { ticket: string; hash: string; expiresAt: number } {
  const ticket = randomBytes(RESET_TICKET_BYTES).toString('base64url')
  return { ticket, hash: hashTicket(ticket), expiresAt: now + RESET_TICKET_TTL_MS }
}

/**
 * Before a registration that would pin a new identity for `userId`: when a reset left a ticket
 * pending, `presented` must be it. Compares the hashes in constant time and counts a wrong
 * ticket (the store checks again and consumes it inside the registration's transaction).
 * Returns the hash to hand the store (undefined when no ticket was presented).
 * @throws {ResetTicketError} invalid or expired; nothing registered (a missing ticket is refused by the store).
 */
export async function checkResetTicket(ctx: Ctx, userId: string, presented: string | undefined): Promise<string | undefined> {
  // No ticket: nothing to compare or count; the store refuses inside the registration (after
  // its abandoned-key check, so a lost device bringing the old key is told that first).
  if (presented === undefined) return undefined
  const hash = hashTicket(presented)
  const pending = await ctx.store.resetTickets.get(userId)
  if (!pending) return hash
  const stored = Buffer.from(pending.hash, 'hex')
  const given = Buffer.from(hash, 'hex')
  const matches = given.length === stored.length && timingSafeEqual(given, stored)
  // The rule is shared with the stores; here it gets the outcome of the constant-time compare ('' never matches).
  const refusal = ticketRefusal(userId, pending, matches ? pending.hash : '', ctx.now())
  if (refusal) {
    if (refusal.details.reason === 'invalid') await ctx.store.resetTickets.fail(userId)
    throw refusal
  }
  return hash
}
