/**
 * Human text for an error the UI shows: the reason of a block, the words for each safety
 * refusal and roster error, else the message and code. The words are this app's; the server sends only codes
 * and structured details.
 */
import {
  AccountSuspendedError, ConversationClosedError, DeviceRevokedError, MemberMismatchError, MessageBlockedError, MessagingDeniedError, ParleyError, PeerBlockedError,
  RosterRejectedError,
} from '@parley/protocol'
import { rosterErrorText } from './roster-status.js'

/** "until <date>" for a suspension with an end, else "". */
function untilText(until: unknown): string {
  return typeof until === 'number' ? ` until ${new Date(until).toLocaleString()}` : ''
}

export function describeError(e: unknown): string {
  if (MessageBlockedError.isInstance(e)) {
    const d = e.details as { reason?: string; plugin?: string }
    return `Not sent: ${d.reason ?? 'blocked by moderation'}${d.plugin ? ` (${d.plugin})` : ''}`
  }
  if (AccountSuspendedError.isInstance(e)) {
    const d = e.details as { reason?: string; until?: number }
    return `Your account is suspended${untilText(d.until)}${d.reason ? `: ${d.reason}` : ''}. [account_suspended]`
  }
  if (DeviceRevokedError.isInstance(e)) return 'A moderator revoked this device: it can no longer connect. [device_revoked]'
  if (ConversationClosedError.isInstance(e)) return 'Not sent: a moderator closed this conversation. [conversation_closed]'
  if (PeerBlockedError.isInstance(e)) return 'Not sent: you block this user. Unblock them to write to them. [peer_blocked]'
  if (MessagingDeniedError.isInstance(e)) return 'Not sent: this user does not accept messages from you. [messaging_denied]'
  // A group's roster refused (before the group is shown these reach the top bar, not the panel).
  if (RosterRejectedError.isInstance(e) || MemberMismatchError.isInstance(e)) return rosterErrorText(e)
  if (ParleyError.isInstance(e)) return `${e.message} [${e.code}]`
  return e instanceof Error ? e.message : String(e)
}

/** What the app says when the server sent this device away for good. */
export const GOODBYE_TEXT = {
  account_suspended: 'A moderator suspended your account. This chat is disconnected and will not reconnect; signing in again is refused until the suspension ends.',
  device_revoked: 'A moderator revoked this device. It is disconnected and can no longer connect; your other devices are not affected.',
} as const
