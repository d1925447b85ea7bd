/**
 * Provider choice: the first platform provider that can be created and passes the self-test
 * (`node:crypto`, then WebCrypto), else noble. A provider that exists but fails is reported
 * once through `console.warn` (which provider, and why), never dropped silently; the whole
 * reasoning stays available from {@link providerChoice}.
 */
import { nodeNativeProvider, nodeProviderNotes } from './node-native.js'
import { nobleProvider } from './noble.js'
import type { CryptoProvider } from './provider.js'
import { describeError } from './_describe-error.js'
import { selfTestFailure } from './self-test.js'
import { webCryptoProvider } from './webcrypto.js'

/** Which provider {@link pickProvider} chose, and why. */
export interface ProviderChoice {
  /** The provider `pickProvider()` returns. */
  provider: CryptoProvider
  /** One line per candidate, in the order tried: chosen, not on this platform, or failed and why. */
  reasons: string[]
}

const CANDIDATES: [string, () => CryptoProvider][] = [['node', nodeNativeProvider], ['webcrypto', webCryptoProvider]]

/** Notes on primitives the chosen provider leaves on noble: [all of them, the failures]. */
function notesOf(p: CryptoProvider): [string[], string[]] {
  if (p.name !== 'node') return [[], []]
  const { unavailable, failed } = nodeProviderNotes()
  return [[...unavailable, ...failed], failed.map((f) => `node provider: ${f} (kept on noble)`)]
}

function describeChosen(p: CryptoProvider, notes: string[]): string {
  const native = p.accelerated.length ? `native: ${p.accelerated.join(', ')}` : 'pure JS'
  return `${p.name}: chosen (${native}${notes.length ? `; on noble: ${notes.join('; ')}` : ''})`
}

async function choose(): Promise<ProviderChoice> {
  const reasons: string[] = []
  const failures: string[] = []
  for (const [name, make] of CANDIDATES) {
    let p: CryptoProvider
    try {
      p = make()
    } catch (e) {
      // A TypeError means the platform lacks the API (a browser has no node:crypto): expected.
      if (e instanceof TypeError) {
        reasons.push(`${name}: not available (${e.message})`)
        continue
      }
      failures.push(`${name} provider could not be created: ${describeError(e)}`)
      reasons.push(failures[failures.length - 1]!)
      continue
    }
    const failure = await selfTestFailure(p)
    if (failure === undefined) {
      const [notes, partial] = notesOf(p)
      reasons.push(describeChosen(p, notes))
      failures.push(...partial)
      if (failures.length) warnOnce(failures, p)
      return { provider: p, reasons }
    }
    failures.push(`${name} provider failed its self-test: ${failure}`)
    reasons.push(failures[failures.length - 1]!)
  }
  reasons.push('noble: chosen (pure JS)')
  if (failures.length) warnOnce(failures, nobleProvider)
  return { provider: nobleProvider, reasons }
}

function warnOnce(failures: string[], chosen: CryptoProvider): void {
  const fallback = chosen === nobleProvider ? 'noble (pure JS, several times slower)' : chosen.name
  console.warn(`[@parley/crypto] ${failures.join('; ')}; using ${fallback}`)
}

let picked: Promise<ProviderChoice> | undefined

/**
 * The provider {@link pickProvider} chose, with one reason per candidate. Runs the choice
 * (once per process) if it has not run yet.
 * @example
 * const { provider, reasons } = await providerChoice()
 * console.log(provider.name, reasons) // 'node', ['node: chosen (native: x25519, ed25519, …)']
 */
export function providerChoice(): Promise<ProviderChoice> {
  picked ??= choose()
  return picked
}

/**
 * The fastest provider that works here (passes the self-test), else noble. Never throws.
 * Cached; a provider that exists but fails is reported once with `console.warn`.
 * @example
 * const provider = await pickProvider()
 * await encryptMessage({ state, plaintext, context, provider })
 */
export async function pickProvider(): Promise<CryptoProvider> {
  return (await providerChoice()).provider
}
