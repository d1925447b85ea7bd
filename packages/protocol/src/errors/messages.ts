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
