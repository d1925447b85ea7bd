/**
 * A third-party moderation plugin: "no shouting". Flags (or blocks) messages written mostly
 * in capital letters. It is an ordinary `ModerationPlugin` object, so the same instance runs
 * on the server (server-side conversations) and in clients (E2EE conversations).
 */
import type { ModerationPlugin, PlainMessage, Verdict } from '@parley/protocol'

/** Fewest letters a message needs before it can count as shouting ("OK!" is fine). */
export const MIN_SHOUTING_LETTERS = 8
/** Default share of upper-case letters that counts as shouting. */
export const DEFAULT_SHOUTING_RATIO = 0.8

export interface NoShoutingOptions {
  /** Share of letters (0..1] that must be upper case. Default {@link DEFAULT_SHOUTING_RATIO}. */
  ratio?: number
  /** Default `'flag'`. */
  action?: 'block' | 'flag'
}

/**
 * @throws {RangeError} when `ratio` is not in (0, 1].
 * @example createPipeline({ plugins: [noShouting({ action: 'block' })] })
 */
export function noShouting(options: NoShoutingOptions = {}): ModerationPlugin {
  const ratio = options.ratio ?? DEFAULT_SHOUTING_RATIO
  if (typeof ratio !== 'number' || !(ratio > 0 && ratio <= 1)) throw new RangeError(`"ratio" expected 0 < ratio <= 1, got ${ratio}`)
  const action = options.action ?? 'flag'

  function check(msg: PlainMessage): Verdict {
    // Fold fullwidth and styled letters first, so 'ＨＥＬＬＯ' counts like 'HELLO'.
    const text = msg.text.normalize('NFKC')
    let upper = 0
    let letters = 0
    for (const ch of text) {
      if (!/\p{L}/u.test(ch)) continue
      letters++
      if (ch !== ch.toLowerCase() && ch === ch.toUpperCase()) upper++
    }
    if (letters < MIN_SHOUTING_LETTERS) return { action: 'allow' }
    return upper / letters >= ratio ? { action, reason: 'please do not shout' } : { action: 'allow' }
  }

  return { name: 'no-shouting', version: '1.0.0', specificationVersion: 'v1', checkOutgoing: check }
}
