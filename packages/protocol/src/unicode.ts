/**
 * Well-formed Unicode (ECMA-262 `String.prototype.isWellFormed`): a string with no lone
 * surrogate. UTF-8 cannot encode a lone surrogate, so `TextEncoder` replaces each with U+FFFD
 * — two different strings would then have one encoding, and one franking commitment. Every
 * text that franking commits to must be well-formed, at send and at report verification.
 */

/** Matches a lone surrogate: with the `u` flag a valid pair is one code point and never matches. */
const LONE_SURROGATE = /\p{Surrogate}/u

/**
 * Index of the first lone surrogate in `text`, or -1 when `text` is well-formed.
 * @throws {TypeError} when `text` is not a string.
 * @example firstLoneSurrogate('a\uD800b') // 1
 */
export function firstLoneSurrogate(text: string): number {
  if (typeof text !== 'string') throw new TypeError(`"text" expected string, got ${typeof text}`)
  return text.search(LONE_SURROGATE)
}

/**
 * True when `text` is a string without lone surrogates (`String.prototype.isWellFormed`).
 * False for a non-string.
 * @example isWellFormedText('😀') // true; isWellFormedText('\uDE00') // false
 */
export function isWellFormedText(text: unknown): text is string {
  if (typeof text !== 'string') return false
  const native = (text as { isWellFormed?: () => boolean }).isWellFormed
  return typeof native === 'function' ? native.call(text) : !LONE_SURROGATE.test(text)
}

/** The validation message of a text that is not well-formed (also matched by the docs generator). */
export const NOT_WELL_FORMED = 'expected well-formed Unicode (no lone surrogates)'

/**
 * The validation message of a text holding U+0000. PostgreSQL's `text` and `jsonb` cannot
 * store NUL, so such a text would fail in the store (an `internal` error) instead of at the edge.
 */
export const HAS_NUL = 'expected no NUL character (U+0000)'

/**
 * True when `text` is a string without U+0000.
 * @example hasNoNul('a\u0000b') // false
 */
export function hasNoNul(text: unknown): text is string {
  return typeof text === 'string' && !text.includes('\u0000')
}
