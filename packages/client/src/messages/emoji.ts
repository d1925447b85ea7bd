/**
 * Reactions are one emoji (docs/messages.md): a pictograph or a flag, with the modifiers,
 * variation selectors and zero-width joiners of one emoji sequence, at most
 * `MAX_REACTION_LENGTH` UTF-16 code units.
 */
import { BadEmojiError, MAX_REACTION_LENGTH } from '@parley/protocol'

const EMOJI = /^(?:\p{Extended_Pictographic}|\p{Regional_Indicator})[\p{Extended_Pictographic}\p{Emoji_Modifier}\p{Regional_Indicator}\u200d\ufe0f\u20e3]*$/u

/** True when `value` is one emoji reaction. */
export function isEmoji(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_REACTION_LENGTH && EMOJI.test(value)
}

/**
 * Returns `emoji` when it is one emoji reaction.
 * @throws {BadEmojiError} otherwise (`details.length` when it is a string).
 * @example checkEmoji('👍') // '👍'
 */
export function checkEmoji(emoji: unknown): string {
  if (!isEmoji(emoji)) {
    throw new BadEmojiError(`"emoji" expected one emoji of at most ${MAX_REACTION_LENGTH} code units`, typeof emoji === 'string' ? { length: emoji.length } : {})
  }
  return emoji
}
