/**
 * Text normalisation for matching (docs/moderation.md, "Keyword filter"). Two views of a
 * text: `foldText` (NFKC, full case folding, format characters and combining marks removed,
 * whitespace collapsed) and `skeletonText` (`foldText` plus a small confusables table:
 * common Cyrillic/Greek homoglyphs, small capitals, and leetspeak digits). Both are for
 * matching only and never shown to users. The table is deliberately small; Unicode's full
 * confusables data (UTS #39) is larger than this whole package.
 */

/**
 * Invisible characters removed before matching: every format character (`\p{Cf}`: zero-width
 * space/joiners, soft hyphen, bidi controls, BOM, tag characters) plus the filler letters that
 * render as blank (Hangul fillers, braille blank).
 */
const INVISIBLE = /[\p{Cf}\u115F\u1160\u3164\uFFA0\u2800]/gu
const COMBINING = /\p{M}/gu
const WHITESPACE = /\s+/gu

/** Homoglyphs and look-alike letters mapped to the Latin letter they imitate (after lowercasing). */
export const CONFUSABLES: Readonly<Record<string, string>> = Object.freeze({
  // Cyrillic
  а: 'a', в: 'b', с: 'c', ԁ: 'd', е: 'e', ё: 'e', һ: 'h', н: 'h', і: 'i', ї: 'i', ј: 'j', к: 'k',
  ӏ: 'l', м: 'm', п: 'n', о: 'o', р: 'p', ԛ: 'q', ѕ: 's', т: 't', у: 'y', ү: 'y', х: 'x', ԝ: 'w',
  ь: 'b', г: 'r', з: '3',
  // Greek
  α: 'a', β: 'b', ε: 'e', η: 'n', ι: 'i', κ: 'k', ν: 'v', ο: 'o', ρ: 'p', τ: 't', υ: 'u', χ: 'x',
  γ: 'y', ω: 'w', μ: 'u', ϲ: 'c', ϳ: 'j',
  // Latin small capitals and other look-alikes NFKC leaves alone
  ᴀ: 'a', ʙ: 'b', ᴄ: 'c', ᴅ: 'd', ᴇ: 'e', ғ: 'f', ɢ: 'g', ʜ: 'h', ɪ: 'i', ᴊ: 'j', ᴋ: 'k', ʟ: 'l',
  ᴍ: 'm', ɴ: 'n', ᴏ: 'o', ᴘ: 'p', ʀ: 'r', ꜱ: 's', ᴛ: 't', ᴜ: 'u', ᴠ: 'v', ᴡ: 'w', ʏ: 'y', ᴢ: 'z',
  ı: 'i', ȷ: 'j', ɑ: 'a', ɡ: 'g', ɩ: 'i', ʋ: 'u', ø: 'o', đ: 'd', ħ: 'h', ł: 'l', ŧ: 't',
  // Leetspeak. `l` and `1` both fold to `i`, so "k1ll", "kiii" and "kill" share a skeleton.
  '0': 'o', '1': 'i', l: 'i', '|': 'i', '3': 'e', '4': 'a', '@': 'a', '5': 's', $: 's', '7': 't',
  '8': 'b', '9': 'g', '6': 'g', '2': 'z',
})

/**
 * The case- and form-insensitive view of `text`: NFKC (fullwidth, ligatures, mathematical
 * letters), full case folding (`ß` → `ss`), invisible characters and combining marks
 * (accents) removed, whitespace runs collapsed to one space.
 *
 * @throws {TypeError} when `text` is not a string.
 * @example foldText('Ｆｒｅｅ\u200B Móney') // 'free money'
 */
export function foldText(text: string): string {
  if (typeof text !== 'string') throw new TypeError(`"text" expected a string, got ${typeof text}`)
  // lower → upper → lower gives full case folding (ẞ → ß → SS → ss) where toLowerCase alone does not.
  const cased = text.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase()
  return cased.normalize('NFKD').replace(INVISIBLE, '').replace(COMBINING, '').normalize('NFKC').replace(WHITESPACE, ' ')
}

/**
 * The confusables skeleton of `text`: {@link foldText} then each character through
 * {@link CONFUSABLES}. Two strings a reader would take for the same word usually share it.
 *
 * @throws {TypeError} when `text` is not a string.
 * @example skeletonText('Frее М0ney') === skeletonText('free money') // Cyrillic е, М; digit 0
 */
export function skeletonText(text: string): string {
  let out = ''
  for (const ch of foldText(text)) out += CONFUSABLES[ch] ?? ch
  return out
}
