/**
 * Wire version 2: the header MAC bounds the work before authentication. A forged ratchet or
 * prekey message is rejected after a constant number of DH/KDF calls, whatever its PN and N
 * say (counted structurally: HMAC chain steps, HKDF calls and DHs through a provider
 * wrapper); an authenticated one is then stepped as before. Noble and the native provider
 * agree byte for byte.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { BadMacError, DuplicateMessageError, ReplayedMessageError, TooFarAheadError } from '@parley/protocol'

const {
  decryptMessage, encryptMessage, initiateSession, MAX_FORWARD_JUMPS, nobleProvider, nodeNativeProvider, seededRandom,
} = await import('../src/index.js')
type CryptoProvider = import('../src/index.js').CryptoProvider
type SessionState = import('../src/index.js').SessionState
const { ctxAB, ctxBA, dec, enc, establish, noPreKeys, parties, seed } = await import('./_fixtures.js')

/** Chain steps (HMAC of a one-byte constant, KDF_CK) and HKDF calls seen through the provider seam. */
const work = { hmac: 0, hkdf: 0 }

/** Counts DHs (and public-key derivations), chain steps and HKDFs through the provider seam. */
function counting(p: CryptoProvider): CryptoProvider & { dh: number } {
  const c = {
    ...p,
    name: `counting-${p.name}`,
    dh: 0,
    x25519: (s: Uint8Array, k: Uint8Array) => (c.dh++, p.x25519(s, k)),
    x25519PublicKey: (s: Uint8Array) => (c.dh++, p.x25519PublicKey(s)),
    x25519Exchange: p.x25519Exchange && ((s: Uint8Array, keys: readonly Uint8Array[], withPub: boolean) => {
      c.dh += keys.length + (withPub ? 1 : 0)
      return p.x25519Exchange!(s, keys, withPub)
    }),
    hmacSha256: (k: Uint8Array, ...parts: Uint8Array[]) => {
      if (parts.length === 1 && parts[0]!.length === 1) work.hmac++
      return p.hmacSha256(k, ...parts)
    },
    hkdfSha256: (...a: Parameters<CryptoProvider['hkdfSha256']>) => (work.hkdf++, p.hkdfSha256(...a)),
  }
  return c
}
function resetWork(p: { dh: number }) {
  work.hmac = 0
  work.hkdf = 0
  p.dh = 0
}

const RATCHET_KEY = 1
const PN = 1 + 32
const N = 1 + 32 + 4
const PREKEY_HEADER = 1 + 64 + 13 + 1088

function rewrite(ciphertext: string, at: number, f: (b: Buffer) => void): string {
  const bytes = Buffer.from(ciphertext, 'base64')
  f(bytes.subarray(at))
  return bytes.toString('base64')
}

const providers = [nobleProvider, nodeNativeProvider()]

describe.each(providers.map((p) => [p.name, p] as const))('header MAC with the %s provider', (_n, base) => {
  const provider = counting(base)
  // Bob has read one message of Alice's current chain: her next message is on a known chain.
  const setup = establish(base, 3).then(async (s) => {
    const w = await encryptMessage({ state: s.a, plaintext: enc('warm'), context: ctxAB, provider: base })
    const r = await decryptMessage({ state: s.b, ours: s.bob, preKeys: noPreKeys, type: 'message', ciphertext: w.ciphertext, context: ctxAB, provider: base })
    return { ...s, a: w.state, b: r.state }
  })

  async function receiveAsBob(state: SessionState, ciphertext: string, type: 'message' | 'prekey' = 'message') {
    const s = await setup
    return decryptMessage({ state, ours: s.bob, preKeys: s.batch.secrets, type, ciphertext, context: ctxAB, provider })
  }

  it('control: an honest jump of 1,000 steps the chain (the counter sees the work)', async () => {
    const s = await setup
    let a = s.a
    let last = ''
    for (let i = 0; i <= 1000; i++) ({ state: a, ciphertext: last } = await encryptMessage({ state: a, plaintext: enc(`m${i}`), context: ctxAB, provider: base }))
    resetWork(provider)
    const r = await receiveAsBob(s.b, last)
    expect(dec(r.plaintext)).toBe('m1000')
    expect(work.hmac).toBeGreaterThanOrEqual(1000)
  })

  it('a known chain: N rewritten to the largest jump fails on the header MAC, no chain step, no DH', async () => {
    const s = await setup
    const m = await encryptMessage({ state: s.a, plaintext: enc('x'), context: ctxAB, provider: base })
    const forged = rewrite(m.ciphertext, N, (b) => b.writeUInt32BE(MAX_FORWARD_JUMPS))
    resetWork(provider)
    await expect(receiveAsBob(s.b, forged)).rejects.toBeInstanceOf(BadMacError)
    expect({ hmac: work.hmac, hkdf: work.hkdf, dh: provider.dh }).toEqual({ hmac: 0, hkdf: 0, dh: 0 })
    expect(dec((await receiveAsBob(s.b, m.ciphertext)).plaintext)).toBe('x')
  })

  it('a new ratchet key with PN and N at the largest jump: one DH, one KDF_RK, no chain step', async () => {
    const s = await setup
    // Bob sends, so Alice's next message carries a new ratchet key (a DH step for Bob).
    const rb = await encryptMessage({ state: s.b, plaintext: enc('turn'), context: ctxBA, provider: base })
    const ra = await decryptMessage({ state: s.a, ours: s.alice, preKeys: noPreKeys, type: 'message', ciphertext: rb.ciphertext, context: ctxBA, provider: base })
    const m = await encryptMessage({ state: ra.state, plaintext: enc('y'), context: ctxAB, provider: base })
    for (const forged of [
      rewrite(m.ciphertext, PN, (b) => { b.writeUInt32BE(MAX_FORWARD_JUMPS); b.writeUInt32BE(MAX_FORWARD_JUMPS, 4) }),
      rewrite(m.ciphertext, RATCHET_KEY, (b) => void (b[0]! ^= 1)),
      rewrite(m.ciphertext, N, (b) => b.writeUInt32BE(0xffff_ffff)),
    ]) {
      resetWork(provider)
      await expect(receiveAsBob(rb.state, forged)).rejects.toBeInstanceOf(BadMacError)
      expect(work.hmac).toBe(0)
      expect(work.hkdf).toBeLessThanOrEqual(1)
      expect(provider.dh).toBeLessThanOrEqual(1)
    }
    expect(dec((await receiveAsBob(rb.state, m.ciphertext)).plaintext)).toBe('y')
  })

  it('an honest header replayed with an altered body fails before any chain step', async () => {
    const s = await setup
    let a = s.a
    let far = ''
    for (let i = 0; i < 200; i++) ({ state: a, ciphertext: far } = await encryptMessage({ state: a, plaintext: enc(`m${i}`), context: ctxAB, provider: base }))
    const bytes = Buffer.from(far, 'base64')
    bytes[bytes.length - 40]! ^= 1
    resetWork(provider)
    await expect(receiveAsBob(s.b, bytes.toString('base64'))).rejects.toBeInstanceOf(BadMacError)
    expect(work.hmac).toBe(0)
  })

  it('an authenticated header beyond the largest jump is TooFarAheadError before any step', async () => {
    const s = await setup
    const { advanceChain } = await import('../src/ratchet/chain-key.js')
    const { fromBase64, toBase64 } = await import('../src/_bytes.js')
    const a = JSON.parse(JSON.stringify(s.a))
    a.sending.chainKey = toBase64(advanceChain(fromBase64(a.sending.chainKey), 0, MAX_FORWARD_JUMPS + 1, 0, base).chainKey)
    a.sending.n += MAX_FORWARD_JUMPS + 1
    const m = await encryptMessage({ state: a, plaintext: enc('far'), context: ctxAB, provider: base })
    resetWork(provider)
    await expect(receiveAsBob(s.b, m.ciphertext)).rejects.toBeInstanceOf(TooFarAheadError)
    expect(work.hmac).toBe(0)
  })

  it('a forged initial (prekey) message with huge N: PQXDH plus one DH step, no chain step', async () => {
    const p = parties(4)
    const a0 = await initiateSession({ ours: p.alice, theirs: p.bundle, provider: base, random: seededRandom(seed(40)) })
    const m = await encryptMessage({ state: a0, plaintext: enc('first'), context: ctxAB, provider: base })
    const forged = rewrite(m.ciphertext, PREKEY_HEADER + N, (b) => b.writeUInt32BE(MAX_FORWARD_JUMPS))
    resetWork(provider)
    await expect(decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: forged, context: ctxAB, provider })).rejects.toBeInstanceOf(BadMacError)
    expect(work.hmac).toBe(0)
    // PQXDH: DH1..DH4 and SK; the DH step: one DH and one KDF_RK.
    expect(provider.dh).toBeLessThanOrEqual(5)
    expect(work.hkdf).toBeLessThanOrEqual(2)
    const ok = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB, provider })
    expect(dec(ok.plaintext)).toBe('first')
  })

  it('property: any rewrite of PN, N, the ratchet key or the header MAC is rejected with bounded work and no state change', async () => {
    const s = await setup
    const rb = await encryptMessage({ state: s.b, plaintext: enc('turn'), context: ctxBA, provider: base })
    const ra = await decryptMessage({ state: s.a, ours: s.alice, preKeys: noPreKeys, type: 'message', ciphertext: rb.ciphertext, context: ctxBA, provider: base })
    const known = await encryptMessage({ state: s.a, plaintext: enc('known chain'), context: ctxAB, provider: base })
    const fresh = await encryptMessage({ state: ra.state, plaintext: enc('new chain'), context: ctxAB, provider: base })
    await fc.assert(fc.asyncProperty(
      fc.boolean(), fc.integer({ min: 1, max: 1 + 32 + 8 + 32 - 1 }), fc.integer({ min: 1, max: 255 }),
      async (newChain, at, mask) => {
        const m = newChain ? fresh : known
        const state = newChain ? rb.state : s.b
        const forged = rewrite(m.ciphertext, at, (b) => void (b[0]! ^= mask))
        const before = JSON.stringify(state)
        resetWork(provider)
        await expect(receiveAsBob(state, forged)).rejects.toSatisfy((e) => BadMacError.isInstance(e) || DuplicateMessageError.isInstance(e))
        expect(work.hmac).toBe(0)
        expect(work.hkdf).toBeLessThanOrEqual(1)
        expect(provider.dh).toBeLessThanOrEqual(1)
        expect(JSON.stringify(state)).toBe(before)
      },
    ), { numRuns: 200 })
    expect(dec((await receiveAsBob(rb.state, fresh.ciphertext)).plaintext)).toBe('new chain')
  }, 60_000)
})

describe('noble and native agree on version-2 sessions', () => {
  it('property: the same seeded conversation gives identical ciphertexts and states on both providers', async () => {
    const [noble, native] = providers as [CryptoProvider, CryptoProvider]
    await fc.assert(fc.asyncProperty(fc.array(fc.constantFrom<'a' | 'b'>('a', 'b'), { minLength: 1, maxLength: 8 }), fc.integer({ min: 1, max: 200 }), async (plan, sd) => {
      const run = async (provider: CryptoProvider) => {
        const p = parties(sd % 50 + 1)
        const random = seededRandom(seed(sd))
        const out: string[] = []
        let a = await initiateSession({ ours: p.alice, theirs: p.bundle, provider, random })
        const m1 = await encryptMessage({ state: a, plaintext: enc('hi'), context: ctxAB, provider })
        a = m1.state
        let b = (await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: m1.type, ciphertext: m1.ciphertext, context: ctxAB, provider, random })).state
        out.push(m1.ciphertext)
        for (const from of plan) {
          const [ctx, tx] = from === 'a' ? [ctxAB, a] : [ctxBA, b]
          const m = await encryptMessage({ state: tx, plaintext: enc(from), context: ctx, provider })
          out.push(m.ciphertext)
          const d = await decryptMessage({ state: from === 'a' ? b : a, ours: from === 'a' ? p.bob : p.alice, preKeys: noPreKeys, type: m.type, ciphertext: m.ciphertext, context: ctx, provider, random })
          expect(dec(d.plaintext)).toBe(from)
          if (from === 'a') [a, b] = [m.state, d.state]
          else [b, a] = [m.state, d.state]
        }
        return { out, a: JSON.stringify(a), b: JSON.stringify(b) }
      }
      expect(await run(native)).toEqual(await run(noble))
    }), { numRuns: 30 })
  }, 120_000)
})

void ReplayedMessageError
