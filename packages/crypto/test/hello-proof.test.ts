/** Hello proofs: domain-separated, bound to the nonce, the user and the device. */
import { describe, expect, it } from 'vitest'
import { toBase64 } from '@parley/protocol'
import { generateDeviceIdentity, helloProofBytes, signHelloProof, verifyHelloProof } from '../src/index.js'

/** A 32-byte nonce filled with `fill`, base64. */
const toBase64Nonce = (fill: number) => toBase64(new Uint8Array(32).fill(fill))

describe('hello proof', () => {
  it('verifies under the device key only, for exactly the nonce, user and device it was made for', () => {
    const device = generateDeviceIdentity('d1')
    const nonce = toBase64Nonce(1)
    const input = { nonce, userId: 'alice', deviceId: 'd1' }
    const sig = signHelloProof(device, input)
    expect(verifyHelloProof(device.signing.publicKey, input, sig)).toBe(true)
    expect(verifyHelloProof(generateDeviceIdentity('d1').signing.publicKey, input, sig)).toBe(false)
    expect(verifyHelloProof(device.signing.publicKey, { ...input, nonce: toBase64Nonce(2) }, sig)).toBe(false)
    expect(verifyHelloProof(device.signing.publicKey, { ...input, userId: 'bob' }, sig)).toBe(false)
    expect(verifyHelloProof(device.signing.publicKey, { ...input, deviceId: 'd2' }, sig)).toBe(false)
    expect(verifyHelloProof(device.signing.publicKey, input, 'junk')).toBe(false)
  })

  it('starts with its own domain label and refuses malformed input', () => {
    const bytes = helloProofBytes({ nonce: toBase64Nonce(3), userId: 'a', deviceId: 'd' })
    expect(new TextDecoder().decode(bytes.slice(0, 20))).toBe('Parley_HelloProof_v1')
    expect(() => helloProofBytes({ nonce: 'AAAA', userId: 'a', deviceId: 'd' })).toThrow(RangeError)
    expect(() => helloProofBytes({ nonce: toBase64Nonce(3), userId: '', deviceId: 'd' })).toThrow(RangeError)
  })
})
