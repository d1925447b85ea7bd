/**
 * Project Wycheproof (test/vectors/wycheproof/, SOURCES.md) through every provider this
 * runtime has: every valid vector passes with Wycheproof's bytes, every invalid one is
 * rejected, and — the test that matters for two copies of the SDK — every provider gives the
 * same answer on every vector, `acceptable` ones included. One test per file and provider.
 */
import { describe, expect, it } from 'vitest'
import * as nodeCrypto from 'node:crypto'
import { nobleProvider, nodeNativeProvider, webCryptoProvider, type CryptoProvider } from '../src/index.js'
import { nodeSymmetric } from '../src/provider/_node-symmetric.js'
import { outcomes, violations } from './wycheproof/_outcomes.js'
import { loadWycheproof, WYCHEPROOF_FILES } from './wycheproof/_load.js'

// The node provider sends ChaCha20 inputs under NATIVE_CHACHA_MIN_BYTES to noble, and every
// ChaCha20-Poly1305 vector is shorter: this copy runs them all on OpenSSL.
const opensslChaCha: CryptoProvider = Object.freeze({ ...nodeNativeProvider(), ...nodeSymmetric(nodeCrypto, 0), name: 'node (ChaCha20 on OpenSSL at every length)' })
const providers: CryptoProvider[] = [nobleProvider, nodeNativeProvider(), webCryptoProvider(), opensslChaCha]
// Key generation is not a provider operation (Parley generates ML-KEM keys on noble).
const noblesOnly = new Set(['mlkem_768_keygen_seed_test'])
const runs = (file: string, p: CryptoProvider) => (!noblesOnly.has(file) || p === nobleProvider) && (p !== opensslChaCha || file === 'chacha20_poly1305_test')
const cases = WYCHEPROOF_FILES.flatMap((file) => providers.filter((p) => runs(file, p)).map((p) => [file, p.name, p] as const))

describe('Wycheproof', () => {
  it.each(cases)('%s through the %s provider: valid vectors pass, invalid ones are rejected', async (file, _name, provider) => {
    const list = await outcomes(file, provider)
    expect(list.length).toBeGreaterThanOrEqual(loadWycheproof(file).length)
    expect(violations(list)).toEqual([])
  }, 120_000)

  it('every provider gives the same answer and bytes as noble on every vector of every file', async () => {
    const disagreements: string[] = []
    let compared = 0
    for (const file of WYCHEPROOF_FILES) {
      const reference = new Map((await outcomes(file, nobleProvider)).map((o) => [o.id, o]))
      for (const p of providers.slice(1)) {
        if (!runs(file, p)) continue
        for (const o of await outcomes(file, p)) {
          const r = reference.get(o.id)
          compared++
          if (!r || r.accepted !== o.accepted || r.output !== o.output)
            disagreements.push(`${file} ${o.id}: noble ${r?.accepted ? 'accepts' : 'rejects'}, ${p.name} ${o.accepted ? 'accepts' : 'rejects'}${r?.accepted && o.accepted ? ' with other bytes' : ''}`)
        }
      }
    }
    expect(compared).toBeGreaterThan(2 * 1500)
    expect(disagreements).toEqual([])
  }, 300_000)
})
