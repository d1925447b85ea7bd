/**
 * Which provider runs, and why: the node provider is chosen on every Node line this package
 * supports; a provider that exists but fails is reported once (`console.warn`, naming the
 * provider and the cause) and never dropped silently; the self-test names what differs; key
 * import is feature-detected (a Node that rejects one format gets the next), and an import
 * failure surfaces as itself, not as an invalid-point error.
 */
import * as realCrypto from 'node:crypto'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { ed25519, x25519 } from '@noble/curves/ed25519.js'
import { bytesToNumberLE } from '@noble/curves/utils.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { InternalError } from '@parley/protocol'
import { nobleProvider, providerChoice, providerSelfTestFailure, type CryptoProvider } from '../src/index.js'
import { buildNodeProvider } from '../src/provider/node-native.js'

afterEach(() => {
  vi.restoreAllMocks()
  vi.doUnmock('../src/provider/node-native.js')
  vi.resetModules()
})

const hasNativeKem = typeof (realCrypto as { encapsulate?: unknown }).encapsulate === 'function'
const secret = new Uint8Array(32).fill(7)
const peer = x25519.getPublicKey(new Uint8Array(32).fill(8))

/** `node:crypto` with `createPrivateKey` / `createPublicKey` refusing the given formats as Node would. */
function refusing(formats: string[], code = 'ERR_CRYPTO_INVALID_JWK'): typeof realCrypto {
  const fail = (format: unknown) => {
    const e = Object.assign(new TypeError(`Invalid ${String(format)} key`), { code })
    throw e
  }
  return {
    ...realCrypto,
    createPrivateKey: ((o: { format?: string }) => (formats.includes(o.format ?? '') ? fail(o.format) : realCrypto.createPrivateKey(o as never))) as typeof realCrypto.createPrivateKey,
    createPublicKey: ((o: { format?: string }) => (formats.includes(o.format ?? '') ? fail(o.format) : realCrypto.createPublicKey(o as never))) as typeof realCrypto.createPublicKey,
  }
}

describe('provider choice', () => {
  it('chooses the node provider here and says which primitives are native', async () => {
    const { provider, reasons } = await providerChoice()
    expect(provider.name).toBe('node')
    expect(reasons[0]).toMatch(/^node: chosen \(native: x25519, ed25519, hmac-sha256, hkdf-sha256, chacha20/)
    expect(provider.accelerated.includes('ml-kem-768')).toBe(hasNativeKem)
  })

  it('warns once, naming the provider and the cause, when the node provider cannot be created', async () => {
    vi.doMock('../src/provider/node-native.js', async (original) => ({
      ...(await original<object>()),
      nodeNativeProvider: () => { throw new InternalError('node provider: no X25519/Ed25519 key import works on this Node: jwk key import: Invalid JWK OKP key (ERR_CRYPTO_INVALID_JWK)') },
    }))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const pick = await import('../src/provider/pick.js')
    expect((await pick.pickProvider()).name).toBe('webcrypto')
    expect((await pick.pickProvider()).name).toBe('webcrypto')
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toMatch(/node provider could not be created: .*Invalid JWK OKP key \(ERR_CRYPTO_INVALID_JWK\).*; using webcrypto/)
    expect((await pick.providerChoice()).reasons[0]).toMatch(/^node provider could not be created/)
  })

  it('warns once when the node provider fails its self-test, and falls back', async () => {
    vi.doMock('../src/provider/node-native.js', async (original) => {
      const real = await original<typeof import('../src/provider/node-native.js')>()
      const broken: CryptoProvider = { ...real.nodeNativeProvider(), x25519: () => new Uint8Array(32).fill(1) }
      return { ...real, nodeNativeProvider: () => broken }
    })
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const pick = await import('../src/provider/pick.js')
    expect((await pick.pickProvider()).name).toBe('webcrypto')
    expect(warn).toHaveBeenCalledTimes(1)
    expect(String(warn.mock.calls[0]![0])).toContain('node provider failed its self-test: X25519 shared secret differs from noble')
  })
})

/** The cofactorless equation alone, with no encoding or small-order checks (as OpenSSL 3.0). */
function cofactorlessOnly(pk: Uint8Array, m: Uint8Array, sig: Uint8Array): boolean {
  const { Point } = ed25519
  const k = Point.Fn.create(bytesToNumberLE(sha512(new Uint8Array([...sig.subarray(0, 32), ...pk, ...m]))))
  const s = bytesToNumberLE(sig.subarray(32))
  if (s >= Point.Fn.ORDER) return false
  try {
    return Point.BASE.multiplyUnsafe(s).subtract(Point.fromBytes(pk).multiplyUnsafe(k)).equals(Point.fromBytes(sig.subarray(0, 32)))
  } catch {
    return false
  }
}

describe('the self-test names what differs', () => {
  const cases: [string, Partial<CryptoProvider>, string][] = [
    ['cofactored Ed25519', { ed25519Verify: (pk, m, s) => ed25519.verify(s, m, pk, { zip215: false }) }, 'Ed25519 accepted an R with a torsion component (cofactored verifier)'],
    ['Ed25519 without the small-order check', { ed25519Verify: cofactorlessOnly }, 'Ed25519 accepted a small-order public key'],
    ['HMAC', { hmacSha256: (k, ...parts) => nobleProvider.hmacSha256(k, ...parts, new Uint8Array(1)) }, 'HMAC-SHA256 differs from noble'],
    ['HKDF', { hkdfSha256: (i, s, info, n) => nobleProvider.hkdfSha256(i, new Uint8Array(32).fill(1), info, n) }, 'HKDF-SHA256 differs from noble'],
    ['XChaCha20 counter', { xchacha20: (k, n, d) => nobleProvider.xchacha20(k, n, new Uint8Array([0, ...d])).subarray(1) }, 'XChaCha20 differs from noble'],
    ['XChaCha20 wrong past 1 KiB only', { xchacha20: (k, n, d) => d.length > 1024 ? new Uint8Array(d.length) : nobleProvider.xchacha20(k, n, d) }, 'XChaCha20 differs from noble'],
    ['ML-KEM decapsulation', { mlKem768Decapsulate: () => new Uint8Array(32) }, 'ML-KEM-768 decapsulation differs from noble'],
    ['a throwing primitive', { x25519PublicKey: () => { throw Object.assign(new Error('Invalid JWK OKP key'), { code: 'ERR_CRYPTO_INVALID_JWK' }) } }, 'threw: Invalid JWK OKP key (ERR_CRYPTO_INVALID_JWK)'],
  ]
  it.each(cases)('%s', async (_name, override, message) => {
    expect(await providerSelfTestFailure({ ...nobleProvider, name: 'broken', ...override })).toBe(message)
  })
  it('passes noble itself (control)', async () => {
    expect(await providerSelfTestFailure(nobleProvider)).toBeUndefined()
  })
})

describe('node key import is feature-detected', () => {
  it('a Node that rejects the JWK and raw formats gets DER, with the same results', () => {
    const { provider } = buildNodeProvider(refusing(['jwk', 'raw-private', 'raw-public']))
    expect(provider.x25519(secret, peer)).toEqual(x25519.getSharedSecret(secret, peer))
    expect(provider.ed25519Sign(secret, peer)).toEqual(ed25519.sign(peer, secret))
  })

  it('with no working import the error names every attempt and its cause', () => {
    expect(() => buildNodeProvider(refusing(['jwk', 'raw-private', 'raw-public', 'der']))).toThrow(
      /raw key import: Invalid raw-private key \(ERR_CRYPTO_INVALID_JWK\); jwk key import: Invalid jwk key \(ERR_CRYPTO_INVALID_JWK\); der key import: Invalid der key/,
    )
  })

  it('an import that fails later is reported as an import failure, not as an invalid point', () => {
    let broken = false
    const c = {
      ...realCrypto,
      createPrivateKey: ((o: never) => {
        if (broken) throw Object.assign(new TypeError('Invalid JWK OKP key'), { code: 'ERR_CRYPTO_INVALID_JWK' })
        return realCrypto.createPrivateKey(o)
      }) as typeof realCrypto.createPrivateKey,
    }
    const { provider } = buildNodeProvider(c)
    broken = true
    let error: unknown
    try {
      provider.x25519(secret, peer)
    } catch (e) {
      error = e
    }
    expect(InternalError.isInstance(error)).toBe(true)
    expect((error as Error).message).toMatch(/X25519 private key import \((raw|jwk)\) failed: Invalid JWK OKP key \(ERR_CRYPTO_INVALID_JWK\)/)
    expect((error as Error).message).not.toMatch(/small-order/)
    // A real small-order point is still reported as one.
    broken = false
    expect(() => provider.x25519(secret, new Uint8Array(32))).toThrow(/small-order or invalid X25519 point/)
  })

  it('a native ML-KEM that differs from noble stays off, with the reason noted', () => {
    const c = {
      ...realCrypto,
      encapsulate: () => ({ sharedKey: new Uint8Array(32), ciphertext: new Uint8Array(1088) }),
      decapsulate: () => new Uint8Array(32).fill(1),
    } as unknown as typeof realCrypto
    const { provider, notes } = buildNodeProvider(c)
    expect(provider.accelerated).not.toContain('ml-kem-768')
    expect(notes.failed.join('; ')).toMatch(/ML-KEM-768/)
  })
})
