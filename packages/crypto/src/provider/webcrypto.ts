/**
 * WebCrypto provider: `crypto.subtle` X25519 and Ed25519 (browsers, Deno, Node's
 * `globalThis.crypto`). Public keys are imported once and cached as `CryptoKey` promises;
 * private keys are imported per call and never cached (a cache would keep ephemeral and
 * ratchet secrets alive after the ratchet deleted them). The X25519 public key of a secret is
 * computed as X25519(secret, 9), since WebCrypto cannot derive it.
 */
import { ed25519 } from '@noble/curves/ed25519.js'
import { abytes } from '../_assert.js'
import { concat } from '../_bytes.js'
import { cacheId, isAllZero, KeyCache } from './_key-cache.js'
import type { CryptoProvider } from './provider.js'

// PKCS#8 prefixes (RFC 8410) for a raw 32-byte X25519 / Ed25519 private key.
const PKCS8_X25519 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20])
const PKCS8_ED25519 = new Uint8Array([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20])
const BASE_POINT = new Uint8Array(32)
BASE_POINT[0] = 9

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

  async function dh(secretKey: Uint8Array, publicKey: Uint8Array): Promise<Uint8Array> {
    let out: Uint8Array
    try {
      out = new Uint8Array(await subtle.deriveBits({ name: 'X25519', public: await xp(publicKey) } as EcdhKeyDeriveParams, await x(secretKey), 256))
    } catch {
      throw new RangeError('"publicKey" is a small-order or invalid X25519 point')
    }
    if (isAllZero(out)) throw new RangeError('"publicKey" is a small-order or invalid X25519 point')
    return out
  }

  cached = Object.freeze({
    name: 'webcrypto',
    x25519PublicKey: (secretKey: Uint8Array) => dh(secretKey, BASE_POINT),
    x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => dh(secretKey, abytes(publicKey, 'publicKey', 32)),
    // Rare (key generation only) and not derivable through WebCrypto: noble.
    ed25519PublicKey: (secretKey: Uint8Array) => ed25519.getPublicKey(abytes(secretKey, 'secretKey', 32)),
    ed25519Sign: async (secretKey: Uint8Array, message: Uint8Array) =>
      new Uint8Array(await subtle.sign({ name: 'Ed25519' }, await e(secretKey), buf(message))),
    ed25519Verify: async (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false
      if (!(signature instanceof Uint8Array) || signature.length !== 64) return false
      try {
        return await subtle.verify({ name: 'Ed25519' }, await ep(publicKey), signature.slice(), buf(message))
      } catch {
        return false
      }
    },
  })
  return cached
}
