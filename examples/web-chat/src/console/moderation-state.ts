/**
 * What is in force now, folded from the append-only audit log: which users are suspended (and
 * until when), which devices revoked, which conversations closed, which messages removed. The
 * server folds every entry once as it reads the log (`audit-tail.ts`) and sends the console the
 * part it shows; the console marks these on the reports so an operator does not act twice.
 */
import type { AuditEntry } from '@parley/server'

/** The folded state, as the operator API sends it (plain JSON). */
export interface ForceState {
  /** Suspended users; `until` null when indefinite (a past `until` has lapsed). */
  suspended: { userId: string; until: number | null }[]
  /** `userId/deviceId` of each revoked device. */
  revoked: string[]
  closed: string[]
  removed: string[]
}

/** The folded state as it is built up, entry by entry. */
export interface ForceFold {
  suspended: Map<string, number | null>
  revoked: Set<string>
  closed: Set<string>
  removed: Set<string>
}

export function emptyFold(): ForceFold {
  return { suspended: new Map(), revoked: new Set(), closed: new Set(), removed: new Set() }
}

/** The key of a device in {@link ForceState.revoked}. */
export function deviceKey(userId: string, deviceId: string): string {
  return `${userId}/${deviceId}`
}

/** Folds one audit entry (in log order) into `fold`. */
export function foldAudit(fold: ForceFold, a: AuditEntry): void {
  if (a.action === 'suspend_user') fold.suspended.set(a.target, typeof a.details.until === 'number' ? a.details.until : null)
  else if (a.action === 'unsuspend_user') fold.suspended.delete(a.target)
  else if (a.action === 'revoke_device' && typeof a.details.deviceId === 'string') fold.revoked.add(deviceKey(a.target, a.details.deviceId))
  else if (a.action === 'close_conversation') fold.closed.add(a.target)
  else if (a.action === 'remove_message' && typeof a.details.messageId === 'string') fold.removed.add(a.details.messageId)
}

export interface InForce {
  suspended: ReadonlySet<string>
  /** `userId/deviceId` of each revoked device. */
  revoked: ReadonlySet<string>
  closed: ReadonlySet<string>
  removed: ReadonlySet<string>
}

/** What is in force at `now`: a suspension whose `until` has passed is over. */
export function inForce(force: ForceState, now: number): InForce {
  return {
    suspended: new Set(force.suspended.filter((s) => s.until === null || s.until > now).map((s) => s.userId)),
    revoked: new Set(force.revoked),
    closed: new Set(force.closed),
    removed: new Set(force.removed),
  }
}
