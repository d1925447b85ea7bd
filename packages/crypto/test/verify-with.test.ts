/**
 * `verifyWith` and `verifyDeviceListWith` (the server's checks on the provider it picked, issue
 * 19) give exactly the answers of `verify` and `verifyDeviceList` under the one Ed25519 rule
 * (decision 0006), on every provider, for honest, altered, small-order and malformed input.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js'
import { hexToBytes } from '@noble/curves/utils.js'
import { InvalidDeviceListError } from '@parley/protocol'
import {
  generateDeviceIdentity, generateUserIdentity, nobleProvider, nodeNativeProvider, sign, signDeviceList, verify, verifyDeviceList,
  verifyDeviceListWith, verifyWith, webCryptoProvider, type CryptoProvider,
} from '../src/index.js'
import { toBase64 } from '../src/_bytes.js'

const providers: CryptoProvider[] = [nobleProvider, nodeNativeProvider(), webCryptoProvider()]
const user = generateUserIdentity()
const device = generateDeviceIdentity('d1')

describe('verifyWith agrees with verify on every provider', () => {
  it('honest, altered message, altered signature, small-order key, non-canonical and malformed base64', async () => {
    const msg = new TextEncoder().encode('prekey bytes')
    const sig = sign(device.signing.secretKey, msg)
    const pk = device.signing.publicKey
    const flipped = toBase64(Uint8Array.from(Buffer.from(sig, 'base64')).map((b, i) => (i === 40 ? b ^ 1 : b)))
    const identityKey = toBase64(hexToBytes(ED25519_TORSION_SUBGROUP[0]!))
    const cases: [string, Uint8Array, string][] = [
      [pk, msg, sig], [pk, new TextEncoder().encode('other'), sig], [pk, msg, flipped], [identityKey, msg, sig],
      [pk.slice(0, -2) + 'B=', msg, sig], ['not base64', msg, sig], [pk, msg, ''],
    ]
    for (const [key, m, s] of cases) {
      const expected = verify(key, m, s)
      for (const p of providers) expect([p.name, key, await verifyWith(p, key, m, s)]).toEqual([p.name, key, expected])
    }
    expect(verify(pk, msg, sig)).toBe(true) // control: the honest case is a real acceptance
  })

  it('fast-check: random messages and one-bit flips agree', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 64 }), fc.nat(63), fc.boolean(), async (msg, bit, flip) => {
        const raw = Buffer.from(sign(device.signing.secretKey, msg), 'base64')
        if (flip) raw[bit >> 3]! ^= 1 << (bit & 7)
        const s = raw.toString('base64')
        const expected = verify(device.signing.publicKey, msg, s)
        for (const p of providers) expect(await verifyWith(p, device.signing.publicKey, msg, s)).toBe(expected)
      }),
      { numRuns: 60, seed: 19 },
    )
  })

  it('verifyDeviceListWith: same acceptance and same InvalidDeviceListError as verifyDeviceList', async () => {
    const list = signDeviceList(user, { userId: 'alice', version: 2, devices: [{ deviceId: 'd1', signingKey: device.signing.publicKey, identityKey: device.identity.publicKey }] })
    for (const p of providers) await verifyDeviceListWith(list, user.publicKey, undefined, p)
    const other = generateUserIdentity()
    const lower = signDeviceList(user, { ...list, version: 1 })
    for (const [l, key, prev] of [[list, other.publicKey, undefined], [lower, user.publicKey, list]] as const) {
      expect(() => verifyDeviceList(l, key, prev)).toThrow(InvalidDeviceListError)
      for (const p of providers) await expect(verifyDeviceListWith(l, key, prev, p)).rejects.toBeInstanceOf(InvalidDeviceListError)
    }
  })
})
