import { describe, expect, it } from 'vitest'
import { BadMacError, InvalidDeviceListError, NotFoundError } from '@parley/protocol'
import {
  aeadDecrypt, aeadEncrypt, decryptAttachment, encryptAttachment, generateDataKey, generateDeviceIdentity, generateEphemeralKeyPair,
  generateLinkCode, generateUserIdentity, linkCodeHash, linkDecrypt, linkEncrypt, openAtRest, safetyNumber, sealAtRest,
  sha256Base64, sign, signDeviceList, signModeChange, verify, verifyDeviceList, verifyModeChange,
} from '../src/index.js'

const bytes = (s: string) => new TextEncoder().encode(s)

describe('committing AEAD and attachments', () => {
  it('round-trips and fails on any change', () => {
    const key = new Uint8Array(32).fill(1)
    const sealed = aeadEncrypt(key, bytes('secret'), bytes('ad'))
    expect(sealed.length).toBe(6 + 56)
    expect(aeadDecrypt(key, sealed, bytes('ad'))).toEqual(bytes('secret'))
    expect(() => aeadDecrypt(key, sealed, bytes('AD'))).toThrow(BadMacError)
    expect(() => aeadDecrypt(new Uint8Array(32).fill(2), sealed, bytes('ad'))).toThrow(BadMacError)
    for (let i = 0; i < sealed.length; i++) {
      const bad = sealed.slice()
      bad[i]! ^= 0x80
      expect(() => aeadDecrypt(key, bad, bytes('ad'))).toThrow(BadMacError)
    }
    expect(() => aeadEncrypt(new Uint8Array(16), bytes('x'))).toThrow(RangeError)
    expect(() => aeadDecrypt(key, new Uint8Array(10))).toThrow(BadMacError)
  })
  it('encrypts attachments with the plaintext hash', () => {
    const data = bytes('attachment body')
    const a = encryptAttachment(data)
    expect(a.sha256).toBe(sha256Base64(data))
    expect(decryptAttachment(a.key, a.ciphertext)).toEqual(data)
    expect(() => decryptAttachment(encryptAttachment(data).key, a.ciphertext)).toThrow(BadMacError)
  })
})

describe('identity, device lists, mode changes', () => {
  const user = generateUserIdentity()
  const d1 = generateDeviceIdentity('d1')
  const d2 = generateDeviceIdentity('d2')
  const entry = (d: typeof d1) => ({ deviceId: d.deviceId, signingKey: d.signing.publicKey, identityKey: d.identity.publicKey })
  it('signs and verifies', () => {
    const sig = sign(user.secretKey, bytes('m'))
    expect(verify(user.publicKey, bytes('m'), sig)).toBe(true)
    expect(verify(user.publicKey, bytes('n'), sig)).toBe(false)
    expect(verify('garbage', bytes('m'), sig)).toBe(false)
  })
  it('verifies device lists and refuses forgery, rollback and silent re-adds', () => {
    const v1 = signDeviceList(user, { userId: 'u', version: 1, devices: [entry(d1), entry(d2)] })
    const v2 = signDeviceList(user, { userId: 'u', version: 2, devices: [entry(d1)] })
    expect(() => verifyDeviceList(v1, user.publicKey)).not.toThrow()
    expect(() => verifyDeviceList(v2, user.publicKey, v1)).not.toThrow()
    expect(() => verifyDeviceList(v1, generateUserIdentity().publicKey)).toThrow(InvalidDeviceListError)
    expect(() => verifyDeviceList(v1, user.publicKey, v2)).toThrow(InvalidDeviceListError)
    const readded = signDeviceList(user, { userId: 'u', version: 2, devices: [entry(d1), entry(d2)] })
    expect(() => verifyDeviceList(readded, user.publicKey, v2)).toThrow(InvalidDeviceListError)
    expect(() => verifyDeviceList({ ...v2, devices: [entry(d1), entry(d2)] }, user.publicKey)).toThrow(InvalidDeviceListError)
    expect(() => verifyDeviceList({ ...v1, version: -1 } as never, user.publicKey)).toThrow(InvalidDeviceListError)
  })
  it('signs mode changes', () => {
    const mc = signModeChange(d1, { conversationId: 'c', from: 'server-side', to: 'e2ee', userId: 'u', deviceId: 'd1', ts: 5 })
    expect(verifyModeChange(mc, d1.signing.publicKey)).toBe(true)
    expect(verifyModeChange({ ...mc, ts: 6 }, d1.signing.publicKey)).toBe(false)
    expect(verifyModeChange(mc, d2.signing.publicKey)).toBe(false)
  })
})

describe('safety numbers', () => {
  it('are 60 digits, deterministic and order-independent', () => {
    const a = { userId: 'alice', identityKey: generateUserIdentity().publicKey }
    const b = { userId: 'bob', identityKey: generateUserIdentity().publicKey }
    const ab = safetyNumber(a, b)
    expect(ab.digits).toMatch(/^\d{60}$/)
    expect(safetyNumber(b, a)).toEqual(ab)
    expect(safetyNumber(a, { ...b, identityKey: generateUserIdentity().publicKey }).digits).not.toBe(ab.digits)
  })
})

describe('at-rest sealing', () => {
  it('seals with a key id, opens after rotation, and fails cleanly', () => {
    const k1 = generateDataKey()
    const k2 = generateDataKey()
    const sealed = sealAtRest(k1, 'k1', bytes('row'), bytes('row-1'))
    const ring = { currentKid: 'k2', keys: { k1, k2 } }
    expect(openAtRest(ring, sealed, bytes('row-1'))).toEqual(bytes('row'))
    expect(() => openAtRest(ring, sealed, bytes('row-2'))).toThrow(BadMacError)
    expect(() => openAtRest({ currentKid: 'k2', keys: { k2 } }, sealed, bytes('row-1'))).toThrow(NotFoundError)
    expect(() => openAtRest({ currentKid: 'k1', keys: { k1: k2 } }, sealed, bytes('row-1'))).toThrow(BadMacError)
  })
})

describe('device linking', () => {
  it('round-trips with the right code and fails with a wrong one', () => {
    const code = generateLinkCode()
    expect(code).toMatch(/^[0-9A-Z]{4}(-[0-9A-Z]{4}){5}$/)
    expect(linkCodeHash(code.toLowerCase())).toBe(linkCodeHash(code))
    const eph = generateEphemeralKeyPair()
    const sent = linkEncrypt({ code, theirEphemeralKey: eph.publicKey, payload: bytes('identity') })
    expect(linkDecrypt({ code, ours: eph, theirEphemeralKey: sent.ephemeralKey, ciphertext: sent.ciphertext })).toEqual(bytes('identity'))
    expect(() => linkDecrypt({ code: generateLinkCode(), ours: eph, theirEphemeralKey: sent.ephemeralKey, ciphertext: sent.ciphertext })).toThrow(BadMacError)
  })
})
