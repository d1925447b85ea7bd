/**
 * Native providers cache imported *public* keys only: no private key (identity, prekey,
 * ephemeral or ratchet secret) is ever a cache entry, so none outlives the operation that used
 * it. Checked on every KeyCache lookup during a whole session (PQXDH, DH ratchet steps, signing).
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import { cacheId, KeyCache } from '../src/provider/_key-cache.js'
import {
  decryptMessage, encryptMessage, generateX25519KeyPair, initiateSession, nobleProvider, nodeNativeProvider, webCryptoProvider,
  type CryptoProvider,
} from '../src/index.js'
import { fromBase64 } from '../src/_bytes.js'
import { ctxAB, ctxBA, enc, noPreKeys, parties } from './_fixtures.js'

afterEach(() => vi.restoreAllMocks())

/** Every 32-byte secret in a structure: fields named *secret*, and prekey secret tables. */
function secretsOf(value: unknown, out = new Set<string>(), inTable = false): Set<string> {
  if (!value || typeof value !== 'object') return out
  for (const [k, v] of Object.entries(value)) {
    if (typeof v === 'string' && v.length === 44 && (inTable || /secret/i.test(k))) out.add(cacheId(fromBase64(v)))
    else secretsOf(v, out, /PreKeys$/.test(k))
  }
  return out
}

describe.each([['node', nodeNativeProvider()], ['webcrypto', webCryptoProvider()]] as [string, CryptoProvider][])('%s provider key cache', (_n, provider) => {
  it('holds no private key after a session with DH ratchet steps and signatures', async () => {
    const cached: string[] = []
    const get = KeyCache.prototype.get
    vi.spyOn(KeyCache.prototype, 'get').mockImplementation(function (this: KeyCache<unknown>, id: string, make: () => unknown) {
      cached.push(id)
      return get.call(this, id, make)
    })
    const p = parties(5)
    const secrets = secretsOf({ alice: p.alice, bob: p.bob, prekeys: p.batch.secrets })
    let a = await initiateSession({ ours: p.alice, theirs: p.bundle, provider })
    let b = null as Awaited<ReturnType<typeof decryptMessage>>['state'] | null
    for (let i = 0; i < 3; i++) {
      const m = await encryptMessage({ state: a, plaintext: enc(`a${i}`), context: ctxAB, provider })
      a = m.state
      b = (await decryptMessage({ state: b, ours: p.bob, preKeys: p.batch.secrets, type: m.type, ciphertext: m.ciphertext, context: ctxAB, provider })).state
      const r = await encryptMessage({ state: b, plaintext: enc(`b${i}`), context: ctxBA, provider })
      b = r.state
      a = (await decryptMessage({ state: a, ours: p.alice, preKeys: noPreKeys, type: r.type, ciphertext: r.ciphertext, context: ctxBA, provider })).state
      for (const s of [a, b]) secretsOf(s, secrets)
    }
    const eph = generateX25519KeyPair()
    await provider.x25519(fromBase64(eph.secretKey), fromBase64(p.bob.identity.publicKey))
    secrets.add(cacheId(fromBase64(eph.secretKey)))
    await provider.ed25519Sign(fromBase64(p.alice.signing.secretKey), enc('m'))
    secrets.add(cacheId(fromBase64(p.alice.signing.secretKey)))
    expect(secrets.size).toBeGreaterThan(10)
    // Control: the spy sees the lookups (public keys are cached).
    expect(cached.length).toBeGreaterThan(0)
    expect(cached.filter((id) => secrets.has(id))).toEqual([])
    // The results are still noble's.
    expect(await provider.x25519(fromBase64(eph.secretKey), fromBase64(p.bob.identity.publicKey)))
      .toEqual(nobleProvider.x25519(fromBase64(eph.secretKey), fromBase64(p.bob.identity.publicKey)))
  })
})
