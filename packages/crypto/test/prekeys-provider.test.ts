/**
 * `generatePreKeysWith(device, opts, provider)`: prekey generation on a provider's X25519 and
 * Ed25519 gives the very bytes noble's `generatePreKeys` gives for the same randomness, on every
 * provider (the node provider runs OpenSSL, WebCrypto the platform's), with and without the
 * signed and last-resort keys; the bundle it builds verifies; bad options are refused alike.
 */
import { describe, expect, it } from 'vitest'
import {
  generateDeviceIdentity, generatePreKeys, generatePreKeysWith, KEM_LAST_RESORT_ID_BASE, nobleProvider, nodeNativeProvider, seededRandom,
  verifyBundleWith, webCryptoProvider, type CryptoProvider, type GeneratePreKeysOptions,
} from '../src/index.js'
import { InternalError } from '@parley/protocol'

const providers: [string, CryptoProvider][] = [['noble', nobleProvider], ['node', nodeNativeProvider()], ['webcrypto', webCryptoProvider()]]
const seed = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 13 + n) & 0xff)

describe.each(providers)('generatePreKeysWith on the %s provider', (_name, provider) => {
  const cases: [string, Omit<GeneratePreKeysOptions, 'random'>][] = [
    ['registration (signed, last resort, one-time of both kinds)', { signedPreKeyId: 7, kemLastResortId: KEM_LAST_RESORT_ID_BASE + 3, oneTimeStartId: 100, oneTimeCount: 5, kemOneTimeStartId: 200, kemOneTimeCount: 2 }],
    ['a top-up (one-time only)', { oneTimeStartId: 105, oneTimeCount: 3, kemOneTimeStartId: 202, kemOneTimeCount: 1 }],
    ['a rotation (signed only)', { signedPreKeyId: 8, oneTimeStartId: 0, oneTimeCount: 0, kemOneTimeStartId: 0, kemOneTimeCount: 0 }],
  ]
  it.each(cases)('%s: the same bytes as noble for the same randomness', async (_label, opts) => {
    const device = generateDeviceIdentity('d1', seededRandom(seed(1)))
    const reference = generatePreKeys(device, { ...opts, random: seededRandom(seed(2)) })
    const got = await generatePreKeysWith(device, { ...opts, random: seededRandom(seed(2)) }, provider)
    expect(got).toEqual(reference)
    expect(got.public.oneTimePreKeys).toHaveLength(opts.oneTimeCount)
  })

  it('builds a bundle that verifies, and a changed signature that does not', async () => {
    const device = generateDeviceIdentity('d1', seededRandom(seed(3)))
    const b = await generatePreKeysWith(device, { signedPreKeyId: 1, kemLastResortId: KEM_LAST_RESORT_ID_BASE, oneTimeStartId: 0, oneTimeCount: 1, kemOneTimeStartId: 0, kemOneTimeCount: 0 }, provider)
    const bundle = {
      deviceId: 'd1', signingKey: device.signing.publicKey, identityKey: device.identity.publicKey,
      signedPreKey: b.public.signedPreKey!, kemPreKey: b.public.kemLastResortPreKey!, kemPreKeyIsLastResort: true, oneTimePreKey: b.public.oneTimePreKeys[0]!,
    }
    await expect(verifyBundleWith(bundle as never, provider)).resolves.toBeUndefined()
    const sig = Buffer.from(bundle.signedPreKey.signature, 'base64')
    sig[0]! ^= 1
    await expect(verifyBundleWith({ ...bundle, signedPreKey: { ...bundle.signedPreKey, signature: sig.toString('base64') } } as never, provider)).rejects.toThrow()
  })

  it('refuses bad counts like generatePreKeys', async () => {
    const device = generateDeviceIdentity('d1', seededRandom(seed(4)))
    const bad = { oneTimeStartId: 0, oneTimeCount: -1, kemOneTimeStartId: 0, kemOneTimeCount: 0 }
    expect(() => generatePreKeys(device, bad)).toThrow(RangeError)
    await expect(generatePreKeysWith(device, bad, provider)).rejects.toThrow(RangeError)
  })
})

describe('generatePreKeysWith refuses a provider that gets keys wrong', () => {
  const device = generateDeviceIdentity('d1', seededRandom(seed(5)))
  const opts = { signedPreKeyId: 1, oneTimeStartId: 0, oneTimeCount: 3, kemOneTimeStartId: 0, kemOneTimeCount: 1 }
  const faulty = (patch: Partial<CryptoProvider>): CryptoProvider => ({ ...nobleProvider, ...patch }) as CryptoProvider

  it('a wrong X25519 public key (its signature would still verify) is an InternalError, not a published prekey', async () => {
    // Control: the same provider with the right public keys makes a batch.
    await expect(generatePreKeysWith(device, opts, faulty({}))).resolves.toBeDefined()
    const wrong = faulty({ x25519PublicKey: (sk) => { const pk = nobleProvider.x25519PublicKey(sk) as Uint8Array; pk[0]! ^= 1; return pk } })
    await expect(generatePreKeysWith(device, opts, wrong)).rejects.toSatisfy((e) => InternalError.isInstance(e) && /differs from noble/.test((e as Error).message))
    // Without a signed prekey the first one-time key is the one checked.
    await expect(generatePreKeysWith(device, { ...opts, signedPreKeyId: undefined }, wrong)).rejects.toSatisfy((e) => InternalError.isInstance(e))
  })

  it('keys and signatures of the wrong size, and no provider, are refused', async () => {
    await expect(generatePreKeysWith(device, opts, faulty({ x25519PublicKey: () => new Uint8Array(31) }))).rejects.toSatisfy((e) => InternalError.isInstance(e) && /32 bytes/.test((e as Error).message))
    await expect(generatePreKeysWith(device, opts, faulty({ ed25519Sign: () => new Uint8Array(63) }))).rejects.toSatisfy((e) => InternalError.isInstance(e) && /64 bytes/.test((e as Error).message))
    await expect(generatePreKeysWith(device, opts, undefined as unknown as CryptoProvider)).rejects.toThrow(TypeError)
  })
})
