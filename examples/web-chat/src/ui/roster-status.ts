/**
 * What the roster panel says about a group's verification (docs/groups.md, "The signed roster"):
 * the roster this device verified (its version and the head hash, the same on every member's
 * device at that version), not yet verified, or the newest roster error the client raised for
 * the group — a record that failed verification, a member list that does not match the signed
 * one, a fork. Pure, so it is unit-tested without a browser.
 */
import { ParleyError } from '@parley/protocol'

/** Error codes that concern a group's roster (the client raised them for this group). */
export const ROSTER_ERROR_CODES: ReadonlySet<string> = new Set(['roster_rejected', 'member_mismatch', 'downgrade_rejected'])
/** Characters of the head hash shown (enough to compare by eye; the full hash is in the title). */
export const HEAD_SHOWN = 12

/** The app's words for each `RosterRejectedError` reason. */
const REASON_TEXT: Record<string, string> = {
  bad_signature: 'a roster change is not signed by a member device',
  not_admin: 'a roster change was signed by someone who is not an admin',
  bad_chain: 'a roster change does not follow the one before it',
  gap: 'roster changes are missing',
  rollback: 'the server showed an older roster',
  fork: 'the server showed members different rosters',
  head_mismatch: 'a member holds a different roster at the same version',
  mismatch: 'the server’s member list differs from the signed roster',
  invalid_change: 'a roster change breaks the group rules',
  stale: 'another admin changed the roster first',
}

export type RosterStatus =
  | { state: 'verified'; version: number; head: string; short: string }
  | { state: 'unverified' }
  | { state: 'error'; code: string; reason: string | null; text: string; version: number; head: string | null }

/** One error event of the conversation (as `useConversation().errors` holds them). */
export interface ErrorLike { error: unknown }

/** The words for one roster error. */
export function rosterErrorText(e: unknown): string {
  if (!ParleyError.isInstance(e)) return e instanceof Error ? e.message : String(e)
  const reason = (e.details as { reason?: string } | undefined)?.reason
  if (e.code === 'roster_rejected') return `Roster not accepted: ${reason ? REASON_TEXT[reason] ?? reason : 'verification failed'}. [roster_rejected${reason ? `/${reason}` : ''}]`
  if (e.code === 'member_mismatch') return `A message or member list does not match the signed roster. [member_mismatch]`
  return `${e.message} [${e.code}]`
}

/**
 * The verification state of a group: the newest of `errors` that concerns the roster, if any
 * (it stays shown — with the roster this device still holds, which the refused record did not
 * change — until the user dismisses the conversation's errors: an attack seen once is worth
 * seeing), else verified once a version is held, else not verified yet.
 */
export function rosterStatus(group: { rosterVersion: number; rosterHead: string | null }, errors: readonly ErrorLike[]): RosterStatus {
  const last = [...errors].reverse().find((e) => ParleyError.isInstance(e.error) && ROSTER_ERROR_CODES.has(e.error.code))
  if (last && ParleyError.isInstance(last.error)) {
    const reason = (last.error.details as { reason?: string } | undefined)?.reason ?? null
    return { state: 'error', code: last.error.code, reason, text: rosterErrorText(last.error), version: group.rosterVersion, head: group.rosterHead }
  }
  if (group.rosterVersion > 0 && group.rosterHead) return { state: 'verified', version: group.rosterVersion, head: group.rosterHead, short: group.rosterHead.slice(0, HEAD_SHOWN) }
  return { state: 'unverified' }
}
