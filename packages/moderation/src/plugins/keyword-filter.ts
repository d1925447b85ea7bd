/**
 * Keyword and regex filter (docs/moderation.md, "Keyword filter"). Words match whole words
 * of the confusables skeleton ({@link skeletonText}), so zero-width characters, homoglyphs,
 * fullwidth forms, accents, mixed case and leetspeak digits do not slip past. Patterns run
 * against both the folded view ({@link foldText}) and the skeleton. Content hooks only.
 */
import type { ModerationPlugin, PlainMessage, Verdict } from '@parley/protocol'
import { foldText, skeletonText } from '../normalize.js'
import { MODERATION_VERSION } from '../version.js'
import { _action, _contentHooks, _name } from '../_options.js'

/** Most words one filter accepts. */
export const MAX_KEYWORDS = 10_000
/** Most patterns one filter accepts. */
export const MAX_KEYWORD_PATTERNS = 256
/** Longest word or phrase, in characters. */
export const MAX_KEYWORD_LENGTH = 256

/** Options of {@link keywordFilter}. */
export interface KeywordFilterOptions {
  /** Words or phrases, matched as whole words after normalisation. */
  words?: readonly string[]
  /**
   * Regular expressions, tested against the folded text and its skeleton (both lowercase).
   * `g`/`y` flags are dropped so matching is stateless. Keep them linear-time: they run on
   * every message.
   */
  patterns?: readonly RegExp[]
  /** What a match does. */
  action: 'block' | 'flag'
  /** The verdict's reason. Never contains the matched text. Default `'matched a filtered term'`. */
  reason?: string
  /** Plugin name (must be unique in a pipeline). Default `'keyword-filter'`. */
  name?: string
  /** Which content hooks to install. Default both. */
  hooks?: ReadonlyArray<'checkOutgoing' | 'checkIncoming'>
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}

/**
 * A content plugin that blocks or flags messages containing any of `words` (whole words,
 * normalised) or matching any of `patterns`.
 *
 * @throws {TypeError} on a missing `action`, a non-string word, a non-RegExp pattern, or
 *   when neither `words` nor `patterns` is given.
 * @throws {RangeError} when a list or word exceeds {@link MAX_KEYWORDS},
 *   {@link MAX_KEYWORD_PATTERNS} or {@link MAX_KEYWORD_LENGTH}.
 * @example
 * keywordFilter({ words: ['free money'], patterns: [/\bbuy now\b/], action: 'flag' })
 */
export function keywordFilter(options: KeywordFilterOptions): ModerationPlugin {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const action = _action(options.action)
  const name = _name(options.name, 'keyword-filter')
  const hooks = _contentHooks(options.hooks)
  const words = options.words ?? []
  const patterns = options.patterns ?? []
  if (!Array.isArray(words)) throw new TypeError('"words" expected an array of strings')
  if (!Array.isArray(patterns)) throw new TypeError('"patterns" expected an array of RegExp')
  if (words.length > MAX_KEYWORDS) throw new RangeError(`"words" expected at most ${MAX_KEYWORDS} entries, got ${words.length}`)
  if (patterns.length > MAX_KEYWORD_PATTERNS) throw new RangeError(`"patterns" expected at most ${MAX_KEYWORD_PATTERNS} entries, got ${patterns.length}`)
  const reason = options.reason ?? 'matched a filtered term'
  if (typeof reason !== 'string' || reason.length === 0) throw new TypeError('"reason" expected a non-empty string')

  const skeletons = new Set<string>()
  words.forEach((w, i) => {
    if (typeof w !== 'string') throw new TypeError(`"words[${i}]" expected a string, got ${typeof w}`)
    if (w.length > MAX_KEYWORD_LENGTH) throw new RangeError(`"words[${i}]" expected at most ${MAX_KEYWORD_LENGTH} characters, got ${w.length}`)
    const s = skeletonText(w).trim()
    if (s.length === 0) throw new TypeError(`"words[${i}]" is empty after normalisation`)
    skeletons.add(s)
  })
  const regexps = patterns.map((p, i) => {
    if (!(p instanceof RegExp)) throw new TypeError(`"patterns[${i}]" expected a RegExp`)
    return new RegExp(p.source, p.flags.replace(/[gy]/g, ''))
  })
  if (skeletons.size === 0 && regexps.length === 0) throw new TypeError('"words" or "patterns" expected at least one entry')

  // One alternation, longest first, bounded by "not a letter or digit" on both sides.
  const alternation = [...skeletons].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|')
  const wordRegExp = alternation.length > 0 ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${alternation})(?![\\p{L}\\p{N}])`, 'u') : null

  function matches(text: string): boolean {
    if (text.length === 0) return false
    const skeleton = skeletonText(text)
    if (wordRegExp !== null && wordRegExp.test(skeleton)) return true
    if (regexps.length === 0) return false
    const folded = foldText(text)
    return regexps.some((r) => r.test(folded) || r.test(skeleton))
  }

  function check(msg: PlainMessage): Verdict {
    const texts = [msg.text, ...msg.attachments.map((a) => a.name)]
    return texts.some(matches) ? { action, reason } : { action: 'allow' }
  }

  const plugin: ModerationPlugin = { name, version: MODERATION_VERSION, specificationVersion: 'v1' }
  for (const hook of hooks) plugin[hook] = check
  return plugin
}
