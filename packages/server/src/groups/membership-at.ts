/**
 * Who was a member of a group at a given seq, replayed from its stored roster records (each
 * verified with `applyRosterRecord` when it was stored). Reports use it: an entry whose sender
 * was not a member at the entry's seq is marked `sender_not_member`, whatever else verifies.
 */
import type { RosterEntry } from '../store/store.js'

/** A function telling, for a user and a seq, whether the roster had them as a member just before that seq. */
export function membershipAt(entries: readonly RosterEntry[]): (userId: string, seq: number) => boolean {
  const sorted = [...entries].sort((a, b) => a.seq - b.seq)
  return (userId, seq) => {
    let member = false
    for (const { record: r, seq: at } of sorted) {
      if (at >= seq) break
      const c = r.change
      if (c.action === 'create') member = c.members.some((m) => m.userId === userId)
      else if (c.action === 'add' && c.userIds.includes(userId)) member = true
      else if (c.action === 'remove' && c.userIds.includes(userId)) member = false
      else if (c.action === 'leave' && r.userId === userId) member = false
    }
    return member
  }
}
