/**
 * What is in force now, read from the append-only audit log (oldest first): which users are
 * suspended, which conversations closed, which messages removed. The console marks these on
 * the reports so an operator does not act twice.
 */
import type { AuditEntry } from '@parley/server'

export interface InForce {
  suspended: ReadonlySet<string>
  /** `userId/deviceId` of each revoked device. */
  revoked: ReadonlySet<string>
  closed: ReadonlySet<string>
  removed: ReadonlySet<string>
}

export function inForce(audit: readonly AuditEntry[], now: number): InForce {
  const suspended = new Set<string>()
  const closed = new Set<string>()
  const removed = new Set<string>()
  const revoked = new Set<string>()
  for (const a of audit) {
    if (a.action === 'suspend_user') {
      const until = a.details.until
      if (typeof until === 'number' && until <= now) suspended.delete(a.target)
      else suspended.add(a.target)
    } else if (a.action === 'unsuspend_user') suspended.delete(a.target)
    else if (a.action === 'revoke_device' && typeof a.details.deviceId === 'string') revoked.add(`${a.target}/${a.details.deviceId}`)
    else if (a.action === 'close_conversation') closed.add(a.target)
    else if (a.action === 'remove_message' && typeof a.details.messageId === 'string') removed.add(a.details.messageId)
  }
  return { suspended, revoked, closed, removed }
}
