/**
 * What the console says about a verified report, in words an operator can act on: the verdict,
 * each entry's franking result, the gaps between entries and how far the report reaches
 * (coverage). Pure, so the unit tests hold the wording to the data.
 */
import type { VerifiedReport, VerifiedReportEntry } from '@parley/protocol'

/** Why an entry failed verification, per `failure` code. */
export const FAILURE_TEXT: Record<NonNullable<VerifiedReportEntry['failure']>, string> = {
  bad_opening: 'content does not match what the sender committed to',
  bad_binding: 'not the message the server relayed (binding mismatch)',
  unknown_key: 'signed with an unknown server franking key',
  wrong_conversation: 'belongs to another conversation',
  not_delivered_to_reporter: 'the reporter never received this message',
  duplicate_entry: 'listed twice in the report',
  sender_not_member: 'the sender was not a member of the group at that point (by its signed roster)',
  bad_reference: 'an edit or deletion of a message another user sent',
  no_tombstone: 'marked deleted, but no verified deletion by its sender is in the report',
}

/** The badge of one entry. */
export function entryBadge(e: VerifiedReportEntry): { ok: boolean; label: string; title: string } {
  if (e.verified) return { ok: true, label: '✓ verified', title: 'Matches the commitment the server bound when it relayed this message: the sender really sent this text.' }
  const why = (e.failure && FAILURE_TEXT[e.failure]) ?? 'not verified'
  return { ok: false, label: `✗ ${why}`, title: `Not proven genuine: ${why}. Do not act on this entry alone.` }
}

function list(nums: readonly number[]): string {
  return nums.map((n) => `#${n}`).join(', ')
}

/** The headline: can the operator rely on this transcript as a whole? */
export function verdictText(r: VerifiedReport): string {
  const failed = r.entries.filter((e) => !e.verified).length
  if (r.transcript.verified) {
    return r.entries.length === 1
      ? 'Transcript verified: its one message is proven genuine.'
      : `Transcript verified: all ${r.entries.length} messages proven genuine, in order, with no gaps.`
  }
  const parts: string[] = []
  if (failed) parts.push(`${failed} of ${r.entries.length} messages failed the franking check`)
  if (!r.transcript.ordered) parts.push('the entries are out of order')
  if (r.transcript.gaps.length) parts.push('messages are missing between entries')
  return `Transcript not verified: ${parts.join('; ') || 'see the entries'}. Rely only on the entries marked verified.`
}

/** Sentences on gaps and coverage (empty when there is nothing to say beyond the verdict). */
export function coverageTexts(r: VerifiedReport): { gaps: string | null; coverage: string; order: string | null } {
  const t = r.transcript
  const gaps = t.gaps.length
    ? `Gaps: message${t.gaps.length === 1 ? '' : 's'} ${list(t.gaps)} of this conversation ${t.gaps.length === 1 ? 'is' : 'are'} not in the report, between the first and last reported message. The reporter left ${t.gaps.length === 1 ? 'it' : 'them'} out (or no longer had ${t.gaps.length === 1 ? 'it' : 'them'}); the server never fills gaps in.`
    : null
  const coverage = t.complete
    ? 'Coverage: the report reaches the last message the reporter’s device received or sent in this conversation.'
    : `Coverage: ${t.laterDelivered} later message${t.laterDelivered === 1 ? '' : 's'} the reporter’s device received or sent ${t.laterDelivered === 1 ? 'is' : 'are'} not in the report.`
  const order = t.ordered ? null : 'Order: the entries are not in the order the server relayed them.'
  return { gaps, coverage, order }
}
