/**
 * Node provider: `node:crypto` key objects for X25519 and Ed25519. Public keys are imported
 * once through JWK (about 8 µs; a DER import measured about 380 µs) and cached by their bytes.
 * Private keys are imported per call and never cached: a cache would keep ephemeral and
 * ratchet secrets alive in the process long after the ratchet deleted them (forward secrecy),
 * and the import costs a few µs beside a DH of ~100 µs.
 * `node:crypto` is loaded lazily through `process.getBuiltinModule`, so browser bundles that
 * include this file never import a Node module.
 */
import type * as NodeCrypto from 'node:crypto'
import { abytes } from '../_assert.js'
import { b64url, cacheId, fromB64url, isAllZero, KeyCache } from './_key-cache.js'
import type { CryptoProvider } from './provider.js'

type KeyObject = NodeCrypto.KeyObject
const ZERO_X = b64url(new Uint8Array(32))

function loadNodeCrypto(): typeof NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const mod = proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined
  return mod && typeof mod.diffieHellman === 'function' ? mod : undefined
}

let cached: CryptoProvider | undefined

/**
 * The `node:crypto` provider (created once).
 * @throws {TypeError} outside Node (no `process.getBuiltinModule('node:crypto')`).
 */
export function nodeNativeProvider(): CryptoProvider {
  if (cached) return cached
  const c = loadNodeCrypto()
  if (!c) throw new TypeError('nodeNativeProvider() needs Node.js 20.16+ (process.getBuiltinModule("node:crypto"))')
  const xPub = new KeyCache<KeyObject>()
  const ePub = new KeyCache<KeyObject>()
  // For an OKP private JWK Node derives the key from `d` alone; `x` must be present but is not
  // used, so a placeholder avoids computing the public key in JS. The self-test in
  // pickProvider() compares against noble and falls back if a Node version ever differs.
  const importPriv = (crv: 'X25519' | 'Ed25519', secret: Uint8Array) =>
    c.createPrivateKey({ key: { kty: 'OKP', crv, d: b64url(secret), x: ZERO_X }, format: 'jwk' })
  const importPub = (crv: 'X25519' | 'Ed25519', pub: Uint8Array) =>
    c.createPublicKey({ key: { kty: 'OKP', crv, x: b64url(pub) }, format: 'jwk' })
  const publicOf = (k: KeyObject) => fromB64url(c.createPublicKey(k).export({ format: 'jwk' }).x as string)
  const x = (s: Uint8Array) => importPriv('X25519', abytes(s, 'secretKey', 32))
  const e = (s: Uint8Array) => importPriv('Ed25519', abytes(s, 'secretKey', 32))

  cached = Object.freeze({
    name: 'node',
    x25519PublicKey: (secretKey: Uint8Array) => publicOf(x(secretKey)),
    x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => {
      abytes(publicKey, 'publicKey', 32)
      let out: Uint8Array
      try {
        const pub = xPub.get(cacheId(publicKey), () => importPub('X25519', publicKey))
        out = new Uint8Array(c.diffieHellman({ privateKey: x(secretKey), publicKey: pub }))
      } catch {
        throw new RangeError('"publicKey" is a small-order or invalid X25519 point')
      }
      if (isAllZero(out)) throw new RangeError('"publicKey" is a small-order or invalid X25519 point')
      return out
    },
    ed25519PublicKey: (secretKey: Uint8Array) => publicOf(e(secretKey)),
    ed25519Sign: (secretKey: Uint8Array, message: Uint8Array) => new Uint8Array(c.sign(null, message, e(secretKey))),
    ed25519Verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
      if (!(publicKey instanceof Uint8Array) || publicKey.length !== 32) return false
      if (!(signature instanceof Uint8Array) || signature.length !== 64) return false
      try {
        const pub = ePub.get(cacheId(publicKey), () => importPub('Ed25519', publicKey))
        return c.verify(null, message, pub, signature)
      } catch {
        return false
      }
    },
  })
  return cached
}
