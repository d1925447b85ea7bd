/**
 * One subclass per failure the design names. Codes are stable: clients switch on them, the
 * docs table is generated from {@link ERROR_CLASSES}, and a test keeps both in step.
 */
import { ParleyError } from './parley-error.js'

type Issue = { path: string; message: string }

/** A frame failed its schema: wrong types, missing or extra fields, forbidden keys. */
export class InvalidFrameError extends ParleyError<{ event?: string; issues?: Issue[] }> {
  static override readonly code: string = 'invalid_frame'
  static override readonly defaultMessage: string = 'frame failed validation'
}
/** A field or the whole frame exceeds its size limit. A kind of {@link InvalidFrameError}. */
export class PayloadTooLargeError extends InvalidFrameError {
  static override readonly code: string = 'payload_too_large'
  static override readonly defaultMessage: string = 'payload exceeds its size limit'
}
/** Client and server share no protocol version. */
export class UnsupportedVersionError extends ParleyError<{ offered?: number[]; supported?: number[] }> {
  static override readonly code: string = 'unsupported_version'
  static override readonly defaultMessage: string = 'unsupported protocol version'
}
/** Authentication failed or the device has not said hello / registered yet. */
export class UnauthorizedError<D extends Record<string, unknown> = Record<string, unknown>> extends ParleyError<D> {
  static override readonly code: string = 'unauthorized'
  static override readonly defaultMessage: string = 'not authenticated'
}
/**
 * `hello` for a device the server already knows did not prove possession of that device's
 * signing key: no proof, no or an expired or reused challenge, or a bad signature. A kind of
 * {@link UnauthorizedError}; `details.reason` says which.
 */
export class DeviceProofError extends UnauthorizedError<{ deviceId?: string; reason?: 'missing' | 'no_challenge' | 'expired' | 'wrong_nonce' | 'bad_signature' }> {
  static override readonly code: string = 'device_proof_failed'
  static override readonly defaultMessage: string = 'device did not prove possession of its signing key'
}
/** The caller may not do this: acting as another device, or outside its conversations. */
export class ForbiddenError extends ParleyError {
  static override readonly code: string = 'forbidden'
  static override readonly defaultMessage: string = 'not allowed'
}
/** A named conversation, message, user, device or report does not exist. */
export class NotFoundError extends ParleyError<{ resource?: string; id?: string }> {
  static override readonly code: string = 'not_found'
  static override readonly defaultMessage: string = 'not found'
}
/** Too many requests; retry after `details.retryAfterMs`. */
export class RateLimitedError extends ParleyError<{ scope?: string; retryAfterMs?: number }> {
  static override readonly code: string = 'rate_limited'
  static override readonly defaultMessage: string = 'rate limit exceeded'
}
/** A moderation plugin blocked the message. Same code, plugin and reason in every mode. */
export class MessageBlockedError extends ParleyError<{ plugin: string; reason: string }> {
  static override readonly code: string = 'message_blocked'
  static override readonly defaultMessage: string = 'message blocked by moderation'
}
/** A moderation plugin threw or timed out (reported through `onError`). */
export class PluginFailedError extends ParleyError<{ plugin: string; hook: string }> {
  static override readonly code: string = 'plugin_failed'
  static override readonly defaultMessage: string = 'moderation plugin failed'
}
/** The server's manifest requires moderation plugins this client does not run. */
export class MissingPluginError extends ParleyError<{ plugins: string[] }> {
  static override readonly code: string = 'missing_plugin'
  static override readonly defaultMessage: string = 'required moderation plugin missing'
}
/** A server-side (readable) frame for an E2EE conversation: refused by server and client. */
export class DowngradeRejectedError extends ParleyError<{ conversationId?: string }> {
  static override readonly code: string = 'downgrade_rejected'
  static override readonly defaultMessage: string = 'refused to downgrade an end-to-end encrypted conversation'
}
/**
 * A frame names a conversation's members differently from what this device pinned, or comes
 * from a user who is not a member (a re-announced 1:1, a sock-puppet sender, a mode change
 * signed by an outsider). Refused; the pinned conversation is unchanged.
 */
export class MemberMismatchError extends ParleyError<{ conversationId?: string; userId?: string }> {
  static override readonly code: string = 'member_mismatch'
  static override readonly defaultMessage: string = 'the frame does not match the conversation\'s pinned members'
}
/** A message with a different id at a sequence number this device already holds: refused, the stored one kept. */
export class MessageConflictError extends ParleyError<{ conversationId?: string; seq?: number }> {
  static override readonly code: string = 'message_conflict'
  static override readonly defaultMessage: string = 'a different message already holds this sequence number'
}
/**
 * The server's `canMessage(from, to)` rule does not let the caller open a conversation with,
 * or send to, `details.userId`. The same code, message and details in every mode.
 */
export class MessagingDeniedError extends ParleyError<{ userId?: string }> {
  static override readonly code: string = 'messaging_denied'
  static override readonly defaultMessage: string = 'this user cannot be messaged'
}
/**
 * The caller blocked `details.userId`: unblock them before sending. Only the blocker is told;
 * a blocked user's sends look delivered and are withheld (docs/decisions/0005).
 */
export class PeerBlockedError extends ParleyError<{ userId?: string }> {
  static override readonly code: string = 'peer_blocked'
  static override readonly defaultMessage: string = 'you blocked this user: unblock them to send'
}
/** The server's policy does not allow this (e.g. upgrading under `server-side`). */
export class PolicyViolationError extends ParleyError<{ policy?: string }> {
  static override readonly code: string = 'policy_violation'
  static override readonly defaultMessage: string = 'not allowed by the server policy'
}
/** A signature (mode change, device list, prekey) is missing or does not verify. */
export class InvalidSignatureError extends ParleyError<{ what?: string }> {
  static override readonly code: string = 'invalid_signature'
  static override readonly defaultMessage: string = 'signature does not verify'
}
/** A signed device list is malformed, unsigned by the pinned key, or rolled back. */
export class InvalidDeviceListError extends ParleyError<{ userId?: string }> {
  static override readonly code: string = 'invalid_device_list'
  static override readonly defaultMessage: string = 'device list rejected'
}
/**
 * A user's identity key differs from the pinned one. For a peer, sending is blocked until the
 * user accepts it; for one's own user, this device started over without its keys (the server
 * refuses to register it: link it from an existing device instead).
 */
export class IdentityChangedError extends ParleyError<{ userId?: string }> {
  static override readonly code: string = 'identity_changed'
  static override readonly defaultMessage: string = 'peer identity key changed'
}
/** No session exists for the sender device (decrypt failure). */
export class MissingSessionError extends ParleyError<{ deviceId?: string }> {
  static override readonly code: string = 'missing_session'
  static override readonly defaultMessage: string = 'no session for this device'
}
/** Authentication tag mismatch: corrupted, forged, or wrong key (decrypt failure). */
export class BadMacError extends ParleyError {
  static override readonly code: string = 'bad_mac'
  static override readonly defaultMessage: string = 'message authentication failed'
}
/** The message is further ahead in its chain than the ratchet's skip limit. */
export class TooFarAheadError extends ParleyError<{ jump?: number; limit?: number }> {
  static override readonly code: string = 'too_far_ahead'
  static override readonly defaultMessage: string = 'message too far ahead in its chain'
}
/** This message was already decrypted (or its key was evicted). */
export class DuplicateMessageError extends ParleyError {
  static override readonly code: string = 'duplicate'
  static override readonly defaultMessage: string = 'message already received'
}
/** The decrypted message does not match its franking commitment. */
export class BadFrankingError extends ParleyError {
  static override readonly code: string = 'bad_franking'
  static override readonly defaultMessage: string = 'franking commitment mismatch'
}
/** A one-time prekey was used twice or an initial message was replayed. */
export class ReplayedMessageError extends ParleyError<{ preKeyId?: number }> {
  static override readonly code: string = 'replayed'
  static override readonly defaultMessage: string = 'one-time prekey reused or initial message replayed'
}
/** The store failed; nothing was written (transactions roll back). */
export class StoreError extends ParleyError {
  static override readonly code: string = 'store_failure'
  static override readonly defaultMessage: string = 'storage failure'
}
/** An operation did not complete in time (ack, plugin hook, connection). */
export class TimeoutError extends ParleyError<{ operation?: string; ms?: number }> {
  static override readonly code: string = 'timeout'
  static override readonly defaultMessage: string = 'operation timed out'
}
/** Not connected to the server (the message stays queued). */
export class ConnectionError extends ParleyError {
  static override readonly code: string = 'disconnected'
  static override readonly defaultMessage: string = 'not connected'
}
/** An unexpected server failure; details are logged server-side, never sent. */
export class InternalError extends ParleyError {
  static override readonly code: string = 'internal'
  static override readonly defaultMessage: string = 'internal error'
}
/**
 * The user is suspended by a moderator (`parley.moderation.suspendUser`): new connections are
 * refused and live ones closed. `details.until` is when it ends (absent: until lifted).
 */
export class AccountSuspendedError extends ParleyError<{ until?: number; reason?: string }> {
  static override readonly code: string = 'account_suspended'
  static override readonly defaultMessage: string = 'this account is suspended'
}
/** This device was revoked by a moderator: it can no longer connect. */
export class DeviceRevokedError extends ParleyError<{ deviceId?: string }> {
  static override readonly code: string = 'device_revoked'
  static override readonly defaultMessage: string = 'this device was revoked'
}
/** A moderator closed the conversation: nothing more can be sent in it. */
export class ConversationClosedError extends ParleyError<{ conversationId?: string }> {
  static override readonly code: string = 'conversation_closed'
  static override readonly defaultMessage: string = 'this conversation was closed by a moderator'
}
/** The report was already resolved; a resolution is final (the audit log keeps it). */
export class ReportResolvedError extends ParleyError<{ reportId?: string }> {
  static override readonly code: string = 'report_resolved'
  static override readonly defaultMessage: string = 'this report is already resolved'
}
/**
 * A group roster record, or the server's account of a roster, fails verification: a bad
 * signature, a signer who is not an admin, a broken hash chain or version gap, a roll-back to
 * an older version, a fork (two validly signed records at one version), a member's message
 * naming another roster head than this device verified (`head_mismatch`: the sender's client
 * or the server, unproven which), or members the server claims that the signed roster does not
 * say. The verified roster stays as it was. `details.reason` says which; `details.version`
 * names the record.
 */
export class RosterRejectedError extends ParleyError<{
  conversationId?: string
  version?: number
  userId?: string
  reason?: 'bad_signature' | 'not_admin' | 'bad_chain' | 'gap' | 'rollback' | 'fork' | 'head_mismatch' | 'mismatch' | 'invalid_change' | 'stale'
}> {
  static override readonly code: string = 'roster_rejected'
  static override readonly defaultMessage: string = 'the group roster failed verification'
}
/** The group would exceed the server's member limit (`maxGroupMembers`, default 100). */
export class GroupFullError extends ParleyError<{ limit?: number }> {
  static override readonly code: string = 'group_full'
  static override readonly defaultMessage: string = 'the group is at its member limit'
}
/**
 * A disappearing-messages setting was refused: its signature does not verify under a listed
 * device of its signer (`bad_signature`), its signer is not a member (`not_member`), it is for
 * another conversation (`mismatch`), or it is not the next version (`stale`: another member
 * changed the setting first; the server's answer — clients read the current setting and retry).
 * The setting in force stays as it was.
 */
export class DisappearingRejectedError extends ParleyError<{
  conversationId?: string
  version?: number
  userId?: string
  reason?: 'bad_signature' | 'not_member' | 'mismatch' | 'stale' | 'version_jump'
}> {
  static override readonly code: string = 'disappearing_rejected'
  static override readonly defaultMessage: string = 'the disappearing-messages setting was refused'
}
