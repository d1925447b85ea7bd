/**
 * The one-time registration ticket of an account reset (issue 17, decision 0024,
 * docs/recovery.md). In its own file so the registry in `index.ts` only gains lines.
 */
import { ParleyError } from './parley-error.js'

/** Why a registration after an account reset was refused. */
export type ResetTicketReason = 'missing' | 'invalid' | 'expired'

/**
 * The user's identity was reset (`parley.resetIdentity`) and this registration did not present
 * the one-time ticket that reset issued: `missing`, `invalid` (wrong, or already used),
 * or `expired`. Wrong tickets never burn the right one (a lost device cannot block recovery).
 * Nothing was registered. A lost device that holds a valid session token meets this error; the user, with
 * the ticket their app delivered after re-authentication, does not.
 */
export class ResetTicketError extends ParleyError<{ userId?: string; reason?: ResetTicketReason }> {
  static override readonly code: string = 'reset_ticket'
  static override readonly defaultMessage: string = 'this user\'s identity was reset: registering a new identity needs the one-time ticket of that reset'
}
