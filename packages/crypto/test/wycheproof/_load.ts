/** Loads a Wycheproof JSON file (test/vectors/wycheproof/) as a flat list of its tests. */
import { readFileSync } from 'node:fs'

/** Wycheproof's verdict: `acceptable` leaves the choice to the implementation. */
export type Verdict = 'valid' | 'invalid' | 'acceptable'

/** One Wycheproof test with its group's fields (hex strings stay hex). */
export interface WycheproofTest {
  tcId: number
  comment?: string
  flags?: string[]
  result: Verdict
  group: Record<string, unknown>
  [field: string]: unknown
}

/** The files Parley runs, by name. */
export const WYCHEPROOF_FILES = [
  'x25519_test', 'ed25519_test', 'hkdf_sha256_test', 'hmac_sha256_test', 'chacha20_poly1305_test',
  'mlkem_768_test', 'mlkem_768_encaps_test', 'mlkem_768_semi_expanded_decaps_test', 'mlkem_768_keygen_seed_test',
] as const
export type WycheproofFile = (typeof WYCHEPROOF_FILES)[number]

/** Every test of `file`, with `numberOfTests` checked so a truncated copy fails loudly. */
export function loadWycheproof(file: WycheproofFile): WycheproofTest[] {
  const json = JSON.parse(readFileSync(new URL(`../vectors/wycheproof/${file}.json`, import.meta.url), 'utf8')) as {
    numberOfTests: number
    testGroups: ({ tests: Omit<WycheproofTest, 'group'>[] } & Record<string, unknown>)[]
  }
  const tests = json.testGroups.flatMap(({ tests: list, ...group }) => list.map((t) => ({ ...t, group }) as WycheproofTest))
  if (tests.length !== json.numberOfTests) throw new Error(`${file}: ${tests.length} tests, header says ${json.numberOfTests}`)
  return tests
}

/** Bytes of a hex field. */
export const hex = (s: unknown): Uint8Array => Uint8Array.from(Buffer.from(String(s), 'hex'))
/** Hex of bytes. */
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
