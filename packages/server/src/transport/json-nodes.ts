/**
 * Counts a JSON text's structural characters — `{`, `[` and `,` outside strings — without
 * parsing it, and stops once past a budget. About one node per value, so the count bounds
 * what `JSON.parse` will build. Strings are skipped with `indexOf` (native, ~1 ms a megabyte
 * of base64), so a frame made of long strings costs little to count.
 */

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_BRACE = 0x7b
const OPEN_BRACKET = 0x5b
const COMMA = 0x2c

/**
 * The structural characters of `json` from `from`, or `budget + 1` as soon as there are more
 * than `budget`. Malformed JSON is counted as far as it goes (`JSON.parse` refuses it after).
 * @example countJsonNodes('[1,{"a":"x,y"}]', 100) // 3: `[`, `,`, `{`
 */
export function countJsonNodes(json: string, budget: number, from = 0): number {
  let nodes = 0
  const end = json.length
  for (let i = from; i < end; i++) {
    const c = json.charCodeAt(i)
    if (c === QUOTE) {
      i = closingQuote(json, i)
      if (i < 0) return nodes
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET || c === COMMA) {
      if (++nodes > budget) return nodes
    }
  }
  return nodes
}

/** Index of the quote closing the string opened at `open`, or -1 when it never closes. */
function closingQuote(json: string, open: number): number {
  let at = open
  for (;;) {
    at = json.indexOf('"', at + 1)
    if (at < 0) return -1
    // Escaped when preceded by an odd run of backslashes.
    let slashes = 0
    while (json.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++
    if (slashes % 2 === 0) return at
  }
}
