import { describe, expect, it } from 'vitest'
import {
  BadMacError, DuplicateMessageError, MissingSessionError, ReplayedMessageError, InvalidSignatureError,
} from '@parley/protocol'
import {
  decryptMessage, encryptMessage, initiateSession, nobleProvider, sessionPeerIdentity, seededRandom, type CryptoProvider,
} from '../src/index.js'
import { ctxAB, ctxBA, dec, enc, establish, noPreKeys, parties, seed } from './_fixtures.js'

describe('PQXDH + Double Ratchet sessions', () => {
  it('round-trips a prekey message, a reply and a follow-up', async () => {
    const p = parties()
    let a = await initiateSession({ ours: p.alice, theirs: p.bundle })
    const m1 = await encryptMessage({ state: a, plaintext: enc('hello'), context: ctxAB })
    expect(m1.type).toBe('prekey')
    a = m1.state
    const r1 = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: m1.type, ciphertext: m1.ciphertext, context: ctxAB })
    expect(dec(r1.plaintext)).toBe('hello')
    expect(r1.usedPreKeys).toMatchObject({ oneTime: 10, kem: 100, kemIsLastResort: false })
    expect(r1.seenInitialMessages).toHaveLength(1)
    expect(sessionPeerIdentity(r1.state)).toBe(p.alice.identity.publicKey)
    expect(sessionPeerIdentity(a)).toBe(p.bob.identity.publicKey)
    const m2 = await encryptMessage({ state: r1.state, plaintext: enc('hi'), context: ctxBA })
    expect(m2.type).toBe('message')
    const r2 = await decryptMessage({ state: a, ours: p.alice, preKeys: noPreKeys, type: m2.type, ciphertext: m2.ciphertext, context: ctxBA })
    expect(dec(r2.plaintext)).toBe('hi')
    const m3 = await encryptMessage({ state: r2.state, plaintext: enc('again'), context: ctxAB })
    expect(m3.type).toBe('message')
    expect(dec((await decryptMessage({ state: m2.state, ours: p.bob, preKeys: noPreKeys, type: m3.type, ciphertext: m3.ciphertext, context: ctxAB })).plaintext)).toBe('again')
  })

  it('keeps sending prekey messages until a reply, and the responder accepts them in its session', async () => {
    const p = parties()
    const a0 = await initiateSession({ ours: p.alice, theirs: p.bundle })
    const m1 = await encryptMessage({ state: a0, plaintext: enc('one'), context: ctxAB })
    const m2 = await encryptMessage({ state: m1.state, plaintext: enc('two'), context: ctxAB })
    expect(m2.type).toBe('prekey')
    const r2 = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m2.ciphertext, context: ctxAB })
    const r1 = await decryptMessage({ state: r2.state, ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m1.ciphertext, context: ctxAB, seenInitialMessages: r2.seenInitialMessages })
    expect(dec(r1.plaintext)).toBe('one')
    await expect(decryptMessage({ state: r1.state, ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m1.ciphertext, context: ctxAB }))
      .rejects.toBeInstanceOf(DuplicateMessageError)
  })

  it('rejects a replayed initial message and a consumed one-time prekey', async () => {
    const p = parties()
    const a0 = await initiateSession({ ours: p.alice, theirs: p.bundle })
    const m1 = await encryptMessage({ state: a0, plaintext: enc('one'), context: ctxAB })
    const r1 = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m1.ciphertext, context: ctxAB })
    await expect(decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: m1.ciphertext, context: ctxAB, seenInitialMessages: r1.seenInitialMessages }))
      .rejects.toBeInstanceOf(ReplayedMessageError)
    const consumed = { ...p.batch.secrets, oneTimePreKeys: {} }
    await expect(decryptMessage({ ours: p.bob, preKeys: consumed, type: 'prekey', ciphertext: m1.ciphertext, context: ctxAB }))
      .rejects.toBeInstanceOf(ReplayedMessageError)
  })

  it('binds the context: another conversation, sender or recipient fails with BadMacError', async () => {
    const s = await establish()
    const m = await encryptMessage({ state: s.a, plaintext: enc('x'), context: ctxAB })
    for (const context of [
      { ...ctxAB, conversationId: 'conv-2' }, { ...ctxAB, protocolVersion: 1 }, { ...ctxAB, mode: 'server-side' },
      { ...ctxAB, sender: { userId: 'alice', deviceId: 'a2' } }, { ...ctxAB, recipient: { userId: 'bob', deviceId: 'b2' } },
    ]) {
      await expect(decryptMessage({ state: s.b, ours: s.bob, preKeys: noPreKeys, type: 'message', ciphertext: m.ciphertext, context })).rejects.toBeInstanceOf(BadMacError)
    }
    await expect(decryptMessage({ state: s.b, ours: s.bob, preKeys: noPreKeys, type: 'prekey', ciphertext: m.ciphertext, context: ctxAB })).rejects.toBeInstanceOf(BadMacError)
    expect(dec((await decryptMessage({ state: s.b, ours: s.bob, preKeys: noPreKeys, type: 'message', ciphertext: m.ciphertext, context: ctxAB })).plaintext)).toBe('x')
  })

  it('fails a message without a session and never mutates the input state', async () => {
    const s = await establish()
    const m = await encryptMessage({ state: s.a, plaintext: enc('x'), context: ctxAB })
    await expect(decryptMessage({ ours: s.bob, preKeys: noPreKeys, type: 'message', ciphertext: m.ciphertext, context: ctxAB })).rejects.toBeInstanceOf(MissingSessionError)
    const before = JSON.stringify(s.b)
    await decryptMessage({ state: s.b, ours: s.bob, preKeys: noPreKeys, type: 'message', ciphertext: m.ciphertext, context: ctxAB })
    expect(JSON.stringify(s.b)).toBe(before)
    expect(JSON.parse(JSON.stringify(s.a))).toEqual(s.a)
  })

  it('rejects a bundle with a bad signed-prekey or KEM-prekey signature before any DH', async () => {
    const p = parties()
    for (const field of ['signedPreKey', 'kemPreKey'] as const) {
      let dhCalls = 0
      const spy: CryptoProvider = { ...nobleProvider, name: 'spy', x25519: (s, k) => { dhCalls++; return nobleProvider.x25519(s, k) } }
      const sig = p.bundle[field].signature
      const bad = { ...p.bundle, [field]: { ...p.bundle[field], signature: (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1) } }
      await expect(initiateSession({ ours: p.alice, theirs: bad, provider: spy })).rejects.toBeInstanceOf(InvalidSignatureError)
      expect(dhCalls).toBe(0)
    }
  })

  it('fails the first message when the KEM ciphertext is substituted in transit', async () => {
    const p = parties()
    const a0 = await initiateSession({ ours: p.alice, theirs: p.bundle, random: seededRandom(seed(9)) })
    const m1 = await encryptMessage({ state: a0, plaintext: enc('one'), context: ctxAB })
    const bytes = Buffer.from(m1.ciphertext, 'base64')
    const other = await initiateSession({ ours: p.alice, theirs: p.bundle, random: seededRandom(seed(10)) })
    const otherHeader = Buffer.from(String(other.pendingPreKey), 'base64')
    const ctOffset = 1 + 64 + 13
    otherHeader.copy(bytes, ctOffset, ctOffset, ctOffset + 1088)
    await expect(decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: 'prekey', ciphertext: bytes.toString('base64'), context: ctxAB }))
      .rejects.toBeInstanceOf(BadMacError)
  })
})
