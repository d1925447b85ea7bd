/**
 * Issue 12, row 14 (part): whether a KEM prekey is last-resort is derived from its signed id
 * (`isKemLastResortId`), on both sides — never taken from the server's
 * `kemPreKeyIsLastResort` or the initial message's unsigned header flag.
 */
import { describe, expect, it } from 'vitest'
import { BadMacError, fromBase64, ReplayedMessageError, toBase64 } from '@parley/protocol'
import {
  decryptMessage, encryptMessage, initiateSession, isKemLastResortId, KEM_LAST_RESORT_ID_BASE, KEY_BYTES, nobleProvider,
  type CryptoProvider,
} from '../src/index.js'
import { ctxAB, dec, enc, parties } from './_fixtures.js'

/** Offset of the flags byte in a prekey message: version ‖ IK_A ‖ EK_A ‖ spkId ‖ kemId. */
const FLAGS = 1 + 2 * KEY_BYTES + 8

const flip = (ciphertext: string): string => {
  const b = fromBase64(ciphertext).slice()
  b[FLAGS] = b[FLAGS]! ^ 1
  return toBase64(b)
}

/** nobleProvider, counting X25519 operations. */
function counting(): { provider: CryptoProvider; dh: () => number } {
  let n = 0
  const base = nobleProvider as unknown as Record<string, unknown>
  const provider = { ...base } as Record<string, unknown>
  provider.x25519 = (...args: unknown[]) => (n++, (base.x25519 as (...a: unknown[]) => unknown)(...args))
  return { provider: provider as unknown as CryptoProvider, dh: () => n }
}

describe('kemIsLastResort is derived, never taken on trust', () => {
  it('ids from KEM_LAST_RESORT_ID_BASE up are last-resort', () => {
    expect(isKemLastResortId(KEM_LAST_RESORT_ID_BASE - 1)).toBe(false)
    expect(isKemLastResortId(KEM_LAST_RESORT_ID_BASE)).toBe(true)
  })

  it('a server claiming a one-time KEM key is last-resort changes nothing: the header flag and usedPreKeys follow the id', async () => {
    const p = parties(21)
    const lying = { ...p.bundle, kemPreKeyIsLastResort: true }
    const a = await initiateSession({ ours: p.alice, theirs: lying })
    const m = await encryptMessage({ state: a, plaintext: enc('hi'), context: ctxAB })
    expect(fromBase64(m.ciphertext)[FLAGS]! & 1).toBe(0)
    const r = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB })
    expect(dec(r.plaintext)).toBe('hi')
    expect(r.usedPreKeys).toMatchObject({ kem: 100, kemIsLastResort: false })
  })

  it('a server claiming the last-resort key is one-time changes nothing either', async () => {
    const p = parties(22)
    const lying = { ...p.bundle, kemPreKey: p.batch.public.kemLastResortPreKey!, kemPreKeyIsLastResort: false }
    const m = await encryptMessage({ state: await initiateSession({ ours: p.alice, theirs: lying }), plaintext: enc('hi'), context: ctxAB })
    expect(fromBase64(m.ciphertext)[FLAGS]! & 1).toBe(1)
    const r = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB })
    expect(r.usedPreKeys).toMatchObject({ kem: KEM_LAST_RESORT_ID_BASE + 2, kemIsLastResort: true })
  })

  it('a flipped header flag is refused as BadMacError before any DH (one-time and last-resort keys)', async () => {
    for (const lastResort of [false, true]) {
      const p = parties(lastResort ? 24 : 23)
      const theirs = lastResort ? { ...p.bundle, kemPreKey: p.batch.public.kemLastResortPreKey!, kemPreKeyIsLastResort: true } : p.bundle
      const m = await encryptMessage({ state: await initiateSession({ ours: p.alice, theirs }), plaintext: enc('hi'), context: ctxAB })
      const { provider, dh } = counting()
      await expect(decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: flip(m.ciphertext), context: ctxAB, provider }))
        .rejects.toBeInstanceOf(BadMacError)
      expect(dh()).toBe(0)
      // Control: the same message unflipped decrypts (with DH work).
      const r = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB, provider })
      expect(dec(r.plaintext)).toBe('hi')
      expect(dh()).toBeGreaterThan(0)
      expect(r.usedPreKeys.kemIsLastResort).toBe(lastResort)
    }
  })

  it('a replay after the one-time KEM key is gone: ReplayedMessageError; flipped: BadMacError (never "unknown last-resort key")', async () => {
    const p = parties(25, false)
    const m = await encryptMessage({ state: await initiateSession({ ours: p.alice, theirs: p.bundle }), plaintext: enc('hi'), context: ctxAB })
    const r = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB })
    const { 100: _used, ...kemPreKeys } = p.batch.secrets.kemPreKeys
    const after = { ...p.batch.secrets, kemPreKeys }
    expect(r.usedPreKeys.kem).toBe(100)
    await expect(decryptMessage({ ours: p.bob, preKeys: after, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB })).rejects.toBeInstanceOf(ReplayedMessageError)
    await expect(decryptMessage({ ours: p.bob, preKeys: after, type: 'prekey', ciphertext: flip(m.ciphertext), context: ctxAB })).rejects.toBeInstanceOf(BadMacError)
  })
})
