/**
 * Errors of the message actions (docs/messages.md): edit, delete for everyone, reactions and
 * replies. Raised by the client before anything is sent, and as `'error'` events for an
 * incoming action that does not hold (the same codes in every mode).
 */
import { ParleyError } from './parley-error.js'

/** Editing or deleting a message this user did not send (or, incoming, an action by someone other than its author). */
export class NotYourMessageError extends ParleyError<{ messageId?: string; userId?: string }> {
  static override readonly code: string = 'not_your_message'
}

/** Editing a message after the edit window (`editWindowMs`) closed. */
export class EditWindowClosedError extends ParleyError<{ messageId?: string; windowMs?: number }> {
  static override readonly code: string = 'edit_window_closed'
}

/** The message an action or reply refers to is not in this device's log (or cannot be acted on: deleted, itself an action). */
export class UnknownMessageError extends ParleyError<{ messageId?: string }> {
  static override readonly code: string = 'unknown_message'
}

/** A reaction that is not one emoji (at most `MAX_REACTION_LENGTH` code units). */
export class BadEmojiError extends ParleyError<{ length?: number }> {
  static override readonly code: string = 'bad_emoji'
}

/**
 * An incoming action or reply whose reference does not hold (decision 0021): it carries no
 * target commitment (`details.reason: 'missing_tf'`), or the message this device holds under
 * the named id has another commitment (`'tf_mismatch'`: the server gave two messages the same
 * id). Not applied; the action stays in the log as report evidence.
 */
export class MessageRefMismatchError extends ParleyError<{ messageId?: string; reason?: 'missing_tf' | 'tf_mismatch' | 'bad_version' }> {
  static override readonly code: string = 'message_ref_mismatch'
}

/**
 * A bound of the message actions was reached: more than `MAX_EDITS_PER_MESSAGE` edits of one
 * message (`details.limit: 'edits'`) or more than `MAX_REACTIONS_PER_USER` emoji of one user on
 * one message, or more than `MAX_REACTION_ACTIONS_PER_USER` reaction actions (`'reactions'`).
 * Thrown by `edit()` / `react()` / `unreact()`; as an event, an incoming action
 * beyond the bound (not applied).
 */
export class ActionLimitError extends ParleyError<{ messageId?: string; limit?: 'edits' | 'reactions'; max?: number }> {
  static override readonly code: string = 'action_limit'
}

/**
 * A delivery the server marks deleted for everyone arrived with no content left (this device
 * was offline when its author deleted it). An `'error'` event, so it is never skipped without
 * a trace: the author's signed tombstone should follow; if none does, a moderator removed it or
 * the server withheld it (docs/messages.md).
 */
export class MessageUnavailableError extends ParleyError<{ conversationId?: string; messageId?: string; seq?: number }> {
  static override readonly code: string = 'message_unavailable'
}
