/** Parley's own fixed vectors (test/vectors/parley.json), recomputed with every provider. */
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { nobleProvider, nodeNativeProvider, pickProvider, providerSelfTest, webCryptoProvider } from '../src/index.js'
import { buildVectors } from './vectors/build.js'

const expected = JSON.parse(readFileSync(new URL('./vectors/parley.json', import.meta.url), 'utf8'))
const providers = [nobleProvider, nodeNativeProvider(), webCryptoProvider()]

describe.each(providers.map((p) => [p.name, p] as const))('fixed vectors with the %s provider', (_n, p) => {
  it('reproduces PQXDH, ratchet, franking and safety-number bytes', async () => {
    expect(await buildVectors(p)).toEqual(expected)
  }, 30_000)
})

describe('provider cross-check against noble', () => {
  it('random keys give the same X25519 and Ed25519 results', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 64 }), async (a, b, msg) => {
      const pb = nobleProvider.x25519PublicKey(b) as Uint8Array
      const ref = nobleProvider.x25519(a, pb) as Uint8Array
      const sig = nobleProvider.ed25519Sign(a, msg) as Uint8Array
      const edPub = nobleProvider.ed25519PublicKey(a) as Uint8Array
      for (const p of providers.slice(1)) {
        expect(await p.x25519PublicKey(b)).toEqual(pb)
        expect(await p.x25519(a, pb)).toEqual(ref)
        expect(await p.ed25519PublicKey(a)).toEqual(edPub)
        expect(await p.ed25519Sign(a, msg)).toEqual(sig)
        expect(await p.ed25519Verify(edPub, msg, sig)).toBe(true)
      }
    }), { numRuns: 200 })
  })
  it('pickProvider picks a self-tested native provider on Node, and the self-test catches a broken one', async () => {
    expect((await pickProvider()).name).toBe('node')
    expect(await providerSelfTest({ ...nobleProvider, name: 'broken', x25519: () => new Uint8Array(32).fill(1) })).toBe(false)
  })
})
