/**
 * WebCrypto provider: `crypto.subtle` X25519 and Ed25519 (browsers, Deno, Node's
 * `globalThis.crypto`), and ML-KEM-768 encapsulation where `subtle.encapsulateBits` exists.
 * Public keys are imported once and cached as `CryptoKey` promises; private keys are imported
 * per call and never cached (a cache would keep ephemeral and ratchet secrets alive after the
 * ratchet deleted them). The X25519 public key of a secret is computed as X25519(secret, 9),
 * since WebCrypto cannot derive it. Decapsulation stays on noble: WebCrypto imports an ML-KEM
 * private key only as a seed, and Parley stores the expanded key. HMAC, HKDF and XChaCha20
 * stay on noble too: the ratchet needs them synchronous, and `subtle` is async.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { abytes } from '../_assert.js'
import { concat } from '../_bytes.js'
import { KEM_PUBLIC_KEY_BYTES } from '../constants.js'
import { passesEd25519Precheck } from '../ed25519-rule.js'
import { PKCS8_ED25519, PKCS8_X25519 } from './_der.js'
import { cacheId, isAllZero, KeyCache } from './_key-cache.js'
import { nobleChaCha20Poly1305Open, nobleChaCha20Poly1305Seal, nobleHkdfSha256, nobleHmacSha256, nobleXChaCha20 } from './_noble-symmetric.js'
import { nobleKemDecapsulate, nobleKemEncapsulate } from './noble.js'
import type { AcceleratedPrimitive, CryptoProvider, KemEncapsulation } from './provider.js'

const BASE_POINT = new Uint8Array(32)
BASE_POINT[0] = 9
const ML_KEM_768 = { name: 'ML-KEM-768' }

// The ML-KEM methods of the WICG "modern algorithms" draft, newer than the DOM typings.
interface KemSubtle {
  encapsulateBits(algorithm: { name: string }, key: CryptoKey): Promise<{ sharedKey: ArrayBuffer; ciphertext: ArrayBuffer }>
}

function subtleOrThrow(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle
  if (!s) throw new TypeError('webCryptoProvider() needs globalThis.crypto.subtle')
  return s
}

/** A copy backed by a plain ArrayBuffer (what WebCrypto's types ask for). */
function buf(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes)
}

let cached: CryptoProvider | undefined

/**
 * The WebCrypto provider (created once). Every operation is async.
 * @throws {TypeError} when `crypto.subtle` is absent.
 */
export function webCryptoProvider(): CryptoProvider {
  if (cached) return cached
  const subtle = subtleOrThrow()
  const xPub = new KeyCache<Promise<CryptoKey>>()
  const ePub = new KeyCache<Promise<CryptoKey>>()
  const x = (s: Uint8Array) =>
    subtle.importKey('pkcs8', buf(concat(PKCS8_X25519, abytes(s, 'secretKey', 32))), { name: 'X25519' }, false, ['deriveBits'])
  const xp = (p: Uint8Array) => xPub.get(cacheId(p), () => subtle.importKey('raw', buf(p), { name: 'X25519' }, true, []))
  const e = (s: Uint8Array) =>
    subtle.importKey('pkcs8', buf(concat(PKCS8_ED25519, abytes(s, 'secretKey', 32))), { name: 'Ed25519' }, false, ['sign'])
  const ep = (p: Uint8Array) => ePub.get(cacheId(p), () => subtle.importKey('raw', buf(p), { name: 'Ed25519' }, true, ['verify']))

  async function dh(secretKey: Uint8Array | CryptoKey, publicKey: Uint8Array): Promise<Uint8Array> {
    const priv = secretKey instanceof Uint8Array ? await x(secretKey) : secretKey
    let pub: CryptoKey
    try {
      pub = await xp(publicKey)
    } catch (err) {
      throw new RangeError('"publicKey" could not be imported as an X25519 key', { cause: err })
    }
    let out: Uint8Array
    try {
      out = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: pub } as EcdhKeyDeriveParams, priv, 256))
    } catch (err) {
      throw new RangeError('"publicKey" is a small-order or invalid X25519 point', { cause: err })
    }
    if (isAllZero(out)) throw new RangeError('"publicKey" is a small-order or invalid X25519 point')
    return out
  }

  // Native encapsulation is used once the platform has accepted a key noble accepts too;
  // a platform that refuses a valid key is remembered and left to noble from then on.
  const kemSubtle = typeof (subtle as unknown as Partial<KemSubtle>).encapsulateBits === 'function' ? (subtle as unknown as KemSubtle) : undefined
  let kemNative: boolean | undefined = kemSubtle ? undefined : false
  async function encapsulate(publicKey: Uint8Array, m?: Uint8Array): Promise<KemEncapsulation> {
    if (m !== undefined || kemNative === false || !kemSubtle) return nobleKemEncapsulate(publicKey, m)
    abytes(publicKey, 'publicKey', KEM_PUBLIC_KEY_BYTES)
    let key: CryptoKey
    try {
      key = await subtle.importKey('raw-public' as 'raw', buf(publicKey), ML_KEM_768, false, ['encapsulateBits' as KeyUsage])
    } catch {
      const fallback = nobleKemEncapsulate(publicKey) // throws RangeError for an invalid key
      kemNative = false // noble took a key the platform refused: the platform lacks ML-KEM
      return fallback
    }
    const r = await kemSubtle.encapsulateBits(ML_KEM_768, key)
    kemNative = true
    return { cipherText: new Uint8Array(r.ciphertext), sharedSecret: new Uint8Array(r.sharedKey) }
  }

  const base: readonly AcceleratedPrimitive[] = Object.freeze(['x25519', 'ed25519'])
  const withKem: readonly AcceleratedPrimitive[] = Object.freeze([...base, 'ml-kem-768'])
  cached = Object.freeze({
    name: 'webcrypto',
    /** ML-KEM-768 is listed once the platform has encapsulated natively. */
    get accelerated() {
      return kemNative ? withKem : base
    },
    x25519PublicKey: (secretKey: Uint8Array) => dh(secretKey, BASE_POINT),
    x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => dh(secretKey, abytes(publicKey, 'publicKey', 32)),
    x25519Exchange: async (secretKey: Uint8Array, publicKeys: readonly Uint8Array[], withPublicKey: boolean) => {
      const priv = await x(secretKey)
      const shared: Uint8Array[] = []
      for (const pub of publicKeys) shared.push(await dh(priv, abytes(pub, 'publicKey', 32)))
      return { publicKey: withPublicKey ? await dh(priv, BASE_POINT) : undefined, shared }
    },
    // Rare (key generation only) and not derivable through WebCrypto: noble.
    ed25519PublicKey: (secretKey: Uint8Array) => ed25519.getPublicKey(abytes(secretKey, 'secretKey', 32)),
    ed25519Sign: async (secretKey: Uint8Array, message: Uint8Array) =>
      new Uint8Array(await subtle.sign({ name: 'Ed25519' }, await e(secretKey), buf(message))),
    ed25519Verify: async (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
      if (!passesEd25519Precheck(publicKey, signature) || !(message instanceof Uint8Array)) return false
      try {
        return await subtle.verify({ name: 'Ed25519' }, await ep(publicKey), buf(signature), buf(message))
      } catch {
        return false
      }
    },
    mlKem768Encapsulate: encapsulate,
    mlKem768Decapsulate: nobleKemDecapsulate,
    hmacSha256: nobleHmacSha256,
    hkdfSha256: nobleHkdfSha256,
    xchacha20: nobleXChaCha20,
    chacha20Poly1305Seal: nobleChaCha20Poly1305Seal,
    chacha20Poly1305Open: nobleChaCha20Poly1305Open,
  })
  return cached
}
