/**
 * The one private key a native provider keeps (docs/decisions/0011): the imported key of a
 * fresh ratchet key pair, until its one remaining DH. Attacked here: after a conversation of
 * DH ratchet steps the provider holds no secret the sessions no longer hold (nothing the
 * ratchet replaced), it holds at most MAX_PENDING_RATCHET_KEYS, a taken key is gone and its
 * copy wiped, and the answers stay noble's.
 */
import * as nodeCrypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { decryptMessage, encryptMessage, initiateSession, nobleProvider, type SessionState } from '../src/index.js'
import { fromBase64 } from '../src/_bytes.js'
import { buildNodeProvider, _pendingRatchetKeysOf } from '../src/provider/node-native.js'
import { MAX_PENDING_RATCHET_KEYS, PendingRatchetKeys } from '../src/provider/_pending-ratchet-keys.js'
import { ctxAB, ctxBA, enc, noPreKeys, parties } from './_fixtures.js'

const sendingSecret = (s: SessionState) => fromBase64((s as unknown as { sending: { ratchetSecret: string } }).sending.ratchetSecret)

describe('PendingRatchetKeys', () => {
  it('gives a key once, wipes its copy of the secret, and drops the oldest beyond its bound', () => {
    const keys = new PendingRatchetKeys<string>(2)
    const s = (n: number) => new Uint8Array(32).fill(n)
    const kept = s(1)
    keys.keep(kept, 'k1')
    kept.fill(9) // the caller's buffer changing does not change what is kept
    expect(keys.take(s(9))).toBeUndefined()
    expect(keys.take(s(1))).toBe('k1')
    expect(keys.take(s(1))).toBeUndefined()
    keys.keep(s(2), 'k2')
    keys.keep(s(3), 'k3')
    keys.keep(s(4), 'k4')
    expect(keys.size).toBe(2)
    expect(keys.take(s(2))).toBeUndefined()
    expect([keys.take(s(3)), keys.take(s(4))]).toEqual(['k3', 'k4'])
    expect(keys.size).toBe(0)
  })
})

describe('node provider: kept ratchet keys', () => {
  it('holds only the secrets the sessions still hold, and decrypts as noble does', async () => {
    const { provider } = buildNodeProvider(nodeCrypto)
    const pending = _pendingRatchetKeysOf(provider)!
    const p = parties(6)
    let a: SessionState = await initiateSession({ ours: p.alice, theirs: p.bundle, provider })
    let b: SessionState | null = null
    const superseded: Uint8Array[] = []
    for (let i = 0; i < 6; i++) {
      const m = await encryptMessage({ state: a, plaintext: enc(`a${i}`), context: ctxAB, provider })
      a = m.state
      if (b) superseded.push(sendingSecret(b))
      const db = await decryptMessage({ state: b, ours: p.bob, preKeys: p.batch.secrets, type: m.type, ciphertext: m.ciphertext, context: ctxAB, provider })
      expect(db.plaintext).toEqual(enc(`a${i}`))
      b = db.state
      const r = await encryptMessage({ state: b, plaintext: enc(`b${i}`), context: ctxBA, provider })
      b = r.state
      superseded.push(sendingSecret(a))
      const da = await decryptMessage({ state: a, ours: p.alice, preKeys: noPreKeys, type: r.type, ciphertext: r.ciphertext, context: ctxBA, provider })
      expect(da.plaintext).toEqual(enc(`b${i}`))
      a = da.state
      // Control: the feature is on (the receiver's new ratchet key is held)…
      expect(pending.holds(sendingSecret(a))).toBe(true)
      // …and nothing a session replaced is.
      expect(superseded.filter((x) => pending.holds(x))).toEqual([])
      expect(pending.size).toBeLessThanOrEqual(2)
    }
    // A held key is used once: the DH with it equals noble's, and a second call re-imports.
    const secret = sendingSecret(a)
    const peer = fromBase64(p.bob.identity.publicKey)
    expect(await provider.x25519(secret, peer)).toEqual(nobleProvider.x25519(secret, peer))
    expect(pending.holds(secret)).toBe(false)
    expect(await provider.x25519(secret, peer)).toEqual(nobleProvider.x25519(secret, peer))
  })

  it('never holds more than MAX_PENDING_RATCHET_KEYS', async () => {
    const { provider } = buildNodeProvider(nodeCrypto)
    const peer = fromBase64(parties(7).bob.identity.publicKey)
    for (let i = 0; i < MAX_PENDING_RATCHET_KEYS + 5; i++) await provider.x25519Exchange!(nodeCrypto.randomBytes(32), [peer], true, true)
    expect(_pendingRatchetKeysOf(provider)!.size).toBe(MAX_PENDING_RATCHET_KEYS)
    // Without the flag nothing is kept.
    const { provider: other } = buildNodeProvider(nodeCrypto)
    await other.x25519Exchange!(nodeCrypto.randomBytes(32), [peer], true)
    expect(_pendingRatchetKeysOf(other)!.size).toBe(0)
  })
})
