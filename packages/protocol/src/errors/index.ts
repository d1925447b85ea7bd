/**
 * Error registry: wire form ↔ class. `errorFromWire` rebuilds the exact class a peer threw.
 */
import { ParleyError, type WireError } from './parley-error.js'
import * as classes from './classes.js'
import * as backupErrors from './backup-errors.js'
import * as messageErrors from './messages.js'
import * as deviceKeyErrors from './device-keys.js'
import * as attachmentErrors from './attachment-errors.js'
import * as resetTicketErrors from './reset-ticket.js'

export { ParleyError, type WireError } from './parley-error.js'
export * from './classes.js'
export * from './backup-errors.js'
export * from './messages.js'
export * from './device-keys.js'
export * from './attachment-errors.js'
export * from './reset-ticket.js'

/** Every error class, base first, with its code and when it is raised (for docs and tests). */
export const ERROR_CLASSES = [
  { cls: ParleyError, description: 'Base class; an unknown code from a newer peer.', solve: 'Upgrade the older side.' },
  { cls: classes.InvalidFrameError, description: 'A frame failed its schema (types, missing/extra fields, forbidden keys).', solve: 'Send frames built with the @parley/protocol types; see details.issues.' },
  { cls: classes.PayloadTooLargeError, description: 'A field or frame exceeds its limit (an InvalidFrameError).', solve: 'Respect the limits in the manifest.' },
  { cls: classes.UnsupportedVersionError, description: 'No common protocol version.', solve: 'Upgrade client or server.' },
  { cls: classes.UnauthorizedError, description: 'Authentication failed, or hello/register not done.', solve: 'Check the token; call hello first.' },
  { cls: classes.DeviceProofError, description: 'hello for a registered device without a valid proof of its signing key (an UnauthorizedError); details.reason says why.', solve: 'Request hello.challenge on this connection and sign it with the device signing key; a lost key store needs a new device id.' },
  { cls: classes.ForbiddenError, description: 'Acting as another device, or in a conversation the user is not in.', solve: 'Use your own device id; open the conversation first.' },
  { cls: classes.NotFoundError, description: 'Unknown conversation, message, user, device or report.', solve: 'Check the id.' },
  { cls: classes.RateLimitedError, description: 'Per-connection, per-user or plugin rate limit hit.', solve: 'Retry after details.retryAfterMs.' },
  { cls: classes.MessageBlockedError, description: 'A moderation plugin blocked the message (same in every mode).', solve: 'Show details.reason to the sender.' },
  { cls: classes.PluginFailedError, description: 'A moderation hook threw or timed out.', solve: 'Fix the plugin; the hook failed closed or open as configured.' },
  { cls: classes.MissingPluginError, description: 'The manifest requires plugins this client lacks for E2EE content.', solve: 'Install the named plugins in the client.' },
  { cls: classes.DowngradeRejectedError, description: 'A readable (server-side) frame for an E2EE conversation.', solve: 'Never: E2EE is one-way. Investigate the server.' },
  { cls: classes.MemberMismatchError, description: "A conversation re-announced with other members, or a delivery, history row or mode change from a non-member.", solve: 'Never from an honest server: the pinned members stay. Investigate the server.' },
  { cls: classes.MessageConflictError, description: 'A different message at a sequence number the local log already holds.', solve: 'Never from an honest server: the stored message (report evidence) is kept.' },
  { cls: classes.MessagingDeniedError, description: "The server's canMessage rule denies opening a conversation with, or sending to, details.userId (same in every mode).", solve: 'Tell the user this person cannot be messaged; nothing was stored.' },
  { cls: classes.PeerBlockedError, description: 'The caller blocked details.userId and tried to send to them.', solve: 'Unblock the user first (client.users.unblock).' },
  { cls: classes.PolicyViolationError, description: 'The server policy forbids the action.', solve: 'Check the manifest policy.' },
  { cls: classes.InvalidSignatureError, description: 'A mode change, device list or prekey signature failed.', solve: 'Sign with the device or user identity key.' },
  { cls: classes.InvalidDeviceListError, description: 'A device list is unsigned by the pinned key, rolled back or malformed.', solve: 'Publish a newer list signed by the user identity key.' },
  { cls: classes.IdentityChangedError, description: "A user's identity key differs from the pinned one: a peer's, or your own user's when this device started over without its keys.", solve: "A peer: compare safety numbers, then acceptIdentity(). Your own user: keep the key store across restarts, or link this device from one you already use." },
  { cls: classes.MissingSessionError, description: 'No session for the sender device.', solve: 'Automatic bounded session reset.' },
  { cls: classes.BadMacError, description: 'Authentication tag mismatch.', solve: 'Automatic bounded session reset; the message is shown as undecryptable.' },
  { cls: classes.TooFarAheadError, description: 'Message beyond the 25,000-message skip limit.', solve: 'Automatic bounded session reset.' },
  { cls: classes.DuplicateMessageError, description: 'Message already decrypted.', solve: 'None: deduplicated.' },
  { cls: classes.BadFrankingError, description: 'Decrypted content does not match its franking commitment.', solve: 'Treated as a decrypt failure; reported to the user.' },
  { cls: classes.ReplayedMessageError, description: 'One-time prekey reused or initial message replayed.', solve: 'None: the replay is dropped.' },
  { cls: classes.AccountSuspendedError, description: 'The user is suspended by a moderator: connections refused, live ones closed (same in every mode).', solve: 'Show details.reason and details.until; the client does not reconnect.' },
  { cls: classes.DeviceRevokedError, description: 'A moderator revoked this device: it can no longer connect.', solve: 'Sign in on another device; the client does not reconnect.' },
  { cls: classes.ConversationClosedError, description: 'A moderator closed the conversation: no more sends (same in every mode).', solve: 'Show the conversation as closed.' },
  { cls: classes.ReportResolvedError, description: 'resolveReport on a report already resolved.', solve: 'Read the resolution from listReports() or the audit log.' },
  { cls: classes.RosterRejectedError, description: 'A group roster record or the server\'s account of a roster fails verification (details.reason: bad_signature, not_admin, bad_chain, gap, rollback, fork, head_mismatch, mismatch, invalid_change, stale).', solve: 'stale: fetch the roster and retry the change. head_mismatch: a member\'s message names a roster head this device does not hold (their client or the server; the message is still shown). Anything else: never from an honest server; the verified roster stays. Investigate the server.' },
  { cls: classes.GroupFullError, description: 'Creating or adding to a group would exceed the server\'s maxGroupMembers (details.limit).', solve: 'Remove members first, or raise the server option.' },
  { cls: backupErrors.BackupKeyError, description: 'The recovery key or passphrase does not open the backup (or its key wrap was altered). Nothing was written, locally or on the server.', solve: 'Ask for the recovery key again (spaces and dashes are ignored). A lost recovery key and passphrase cannot be recovered: the backup cannot be opened.' },
  { cls: backupErrors.BackupCorruptError, description: 'A backup or history transfer opened with the right key fails authentication or is malformed (details.reason). Nothing was written.', solve: 'Run client.backup.run() again from a working device, or link the device again.' },
  { cls: backupErrors.BackupSupersededError, description: 'client.backup.run() found the server\'s backup under another key than this device\'s (another device called enable(), or a restored device rotated the key): nothing was uploaded, so the newer recovery key keeps working.', solve: 'Let the device that holds the newer key run backups, or call client.backup.enable() here to start over with a new recovery key (the other one then stops working).' },
  { cls: resetTicketErrors.ResetTicketError, description: 'A registration of a new identity after an account reset without the one-time ticket that parley.resetIdentity issued (details.reason: missing, invalid — wrong or already used, expired). Wrong tickets never burn the right one. Nothing was registered.', solve: 'Pass the ticket your server got from parley.resetIdentity to resetIdentity({ ticket }) on the client. expired: re-authenticate the user and call parley.resetIdentity again for a new ticket. A lost device meets this error: that is the point.' },
  { cls: classes.DisappearingRejectedError, description: 'A disappearing-messages setting was refused (details.reason: bad_signature, not_member, mismatch, stale, version_jump: more than MAX_DISAPPEARING_VERSION_STEP above the pinned version); the setting in force stays.', solve: 'stale: another member changed it first; setDisappearing reads the current setting and retries once, so seeing it means a second race: retry. Anything else: never from an honest server. Investigate the server.' },
  { cls: messageErrors.NotYourMessageError, description: 'edit() or deleteForEveryone() of a message this user did not send; as an error event, an incoming edit or tombstone from someone other than the author (not applied).', solve: 'Only offer edit and delete on outgoing messages. As an event: never from an honest member; the message stays as it was.' },
  { cls: messageErrors.EditWindowClosedError, description: 'edit() after the edit window (client option editWindowMs, default DEFAULT_EDIT_WINDOW_MS) closed; details.windowMs.', solve: 'Hide the edit action once the window closed.' },
  { cls: messageErrors.UnknownMessageError, description: 'An action or reply names a message this device does not hold, a deleted one, or an action message.', solve: 'Act on messages from this device\'s history; wait for a pending send to be acked.' },
  { cls: messageErrors.BadEmojiError, description: 'A reaction that is not a single emoji of at most MAX_REACTION_LENGTH code units.', solve: 'Offer reactions from an emoji picker.' },
  { cls: deviceKeyErrors.DeviceKeysChangedError, description: 'A group member device returned under the same device id with new keys, its user identity unchanged (details.userId, details.deviceId, details.action): a sender-key message on a chain of its previous keys is refused (refused), or this device rotated its own chain given to the previous keys (rotated).', solve: 'None needed: the old chains are dropped and the next messages use new ones. Tell the user a contact\'s device was reinstalled or replaced; if unexpected, compare safety numbers.' },
  { cls: messageErrors.MessageRefMismatchError, description: 'An incoming action or reply whose reference carries no target commitment tf (details.reason missing_tf), whose tf differs from the message held under the named id (tf_mismatch), or an edit without a valid version (bad_version). Not applied.', solve: 'Never from an honest server and client: the server gave two messages one id, or a modified client sent it. The message stays as it was.' },
  { cls: messageErrors.ActionLimitError, description: 'More than MAX_EDITS_PER_MESSAGE edits of one message (details.limit edits) or more than MAX_REACTIONS_PER_USER emoji (or MAX_REACTION_ACTIONS_PER_USER reaction actions) of one user on one message (reactions); thrown by edit()/react(), or an incoming action beyond the bound (not applied).', solve: 'Send a new message instead of another edit; remove a reaction before adding another.' },
  { cls: messageErrors.MessageUnavailableError, description: 'An error event: a delivery the server marks deleted arrived with no content (details.seq, details.messageId).', solve: 'Informational: its author\'s tombstone normally follows; if none does, the server withheld the message.' },
  { cls: attachmentErrors.AttachmentCorruptError, description: 'An attachment or its thumbnail does not open (details.reason: key_commitment, truncated, tampered — also a thumbnail that does not open under the file key —, malformed, hash_mismatch, size_mismatch; details.chunk when known). Nothing of it was returned.', solve: 'Never from an honest server and sender: show the attachment as damaged. Downloading again may help after a cut (truncated).' },
  { cls: attachmentErrors.UploadOffsetError, description: 'An upload chunk at an offset other than the server\'s (details.offset).', solve: 'Resume from details.offset; the client upload does this itself.' },
  { cls: classes.StoreError, description: 'Storage failed; the transaction rolled back.', solve: 'Retry; check the database.' },
  { cls: classes.TimeoutError, description: 'An ack, hook or connection timed out.', solve: 'Retry; queued messages resend automatically.' },
  { cls: classes.ConnectionError, description: 'Not connected.', solve: 'Messages stay queued until reconnect.' },
  { cls: classes.InternalError, description: 'Unexpected server failure (details only in server logs).', solve: 'Check the server logs.' },
] as const

const BY_CODE = new Map<string, new (message?: string, details?: never) => ParleyError>(
  ERROR_CLASSES.map(({ cls }) => [(cls as unknown as { code: string }).code, cls as never]),
)

/** Every stable error code. */
export const ERROR_CODES: readonly string[] = [...BY_CODE.keys()]

/**
 * Rebuilds the class a peer raised from its wire form. Unknown codes become a plain
 * {@link ParleyError} that keeps the code, so newer peers never crash older ones.
 * @throws {TypeError} when `wire` is not an object with string `code` and `message`.
 */
export function errorFromWire(wire: WireError): ParleyError {
  if (wire === null || typeof wire !== 'object' || typeof wire.code !== 'string' || typeof wire.message !== 'string') {
    throw new TypeError('"wire" expected { code: string, message: string, details?: object }')
  }
  const details = wire.details && typeof wire.details === 'object' ? { ...wire.details } : {}
  const Cls = BY_CODE.get(wire.code)
  if (Cls) return new Cls(wire.message, details as never)
  const err = new ParleyError(wire.message, details)
  ;(err as { code: string }).code = wire.code
  return err
}

/**
 * The wire form of any thrown value. Non-Parley errors become `internal` with a generic
 * message, so stack traces and secrets never leave the process.
 */
export function errorToWire(error: unknown): WireError {
  if (ParleyError.isInstance(error)) return error.toWire()
  return new classes.InternalError().toWire()
}
