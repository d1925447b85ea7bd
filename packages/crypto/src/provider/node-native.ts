/**
 * Node provider: `node:crypto` for X25519, Ed25519, HMAC-SHA256, HKDF-SHA256, ChaCha20 and
 * (Node ≥ 24.7) ML-KEM-768. Each primitive is feature-detected once, against known answers,
 * when the provider is created; one that is missing or differs stays on noble and the reason is
 * kept in {@link nodeProviderNotes}. Public X25519/Ed25519 keys are imported once and cached
 * by their bytes; private keys are imported per call and never cached: a cache would keep
 * ephemeral and ratchet secrets alive after the ratchet deleted them (forward secrecy). One
 * bounded exception (docs/decisions/0011): the key of a fresh ratchet key pair is kept for its
 * one remaining DH, and dropped at it ({@link PendingRatchetKeys}).
 * `node:crypto` is loaded lazily through `process.getBuiltinModule`, so browser bundles that
 * include this file never import a Node module.
 */
import type * as NodeCrypto from 'node:crypto'
import { InternalError } from '@parley/protocol'
import { abytes } from '../_assert.js'
import { passesEd25519Precheck } from '../ed25519-rule.js'
import { cacheId, isAllZero, KeyCache } from './_key-cache.js'
import { PendingRatchetKeys } from './_pending-ratchet-keys.js'
import { detectNodeKem } from './_node-mlkem.js'
import { describeError } from './_describe-error.js'
import { detectOkpImport, type OkpCurve } from './_node-keys.js'
import { nodeSymmetric } from './_node-symmetric.js'
import { symmetricDifference } from './_symmetric-check.js'
import { nobleSymmetric } from './_noble-symmetric.js'
import { nobleKemDecapsulate, nobleKemEncapsulate } from './noble.js'
import type { AcceleratedPrimitive, CryptoProvider, SymmetricPrimitives } from './provider.js'

type KeyObject = NodeCrypto.KeyObject

function loadNodeCrypto(): typeof NodeCrypto | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
  const mod = proc?.getBuiltinModule?.('node:crypto') as typeof NodeCrypto | undefined
  return mod && typeof mod.diffieHellman === 'function' ? mod : undefined
}

/** Why primitives of the node provider stay on noble: not on this Node, or failed their check. */
export interface NodeProviderNotes {
  unavailable: readonly string[]
  failed: readonly string[]
}

let cached: { provider: CryptoProvider; notes: NodeProviderNotes } | undefined

/** Why primitives of the node provider stay on noble (empty until {@link nodeNativeProvider} first runs). */
export function nodeProviderNotes(): NodeProviderNotes {
  return cached?.notes ?? { unavailable: [], failed: [] }
}

/**
 * The `node:crypto` provider (created once).
 * @throws {TypeError} outside Node (no `process.getBuiltinModule('node:crypto')`).
 * @throws {InternalError} when no way of importing X25519/Ed25519 keys works on this Node
 *   (the message names each attempt and why it failed).
 */
export function nodeNativeProvider(): CryptoProvider {
  if (cached) return cached.provider
  const c = loadNodeCrypto()
  if (!c) throw new TypeError('nodeNativeProvider() needs Node.js 20.16+ (process.getBuiltinModule("node:crypto"))')
  cached = buildNodeProvider(c)
  return cached.provider
}

/**
 * A provider on the given `node:crypto` module, and why any primitive stays on noble.
 * Internal (tests build one on a module with faults injected).
 * @throws {InternalError} when no X25519/Ed25519 key import works.
 */
export function buildNodeProvider(c: typeof NodeCrypto): { provider: CryptoProvider; notes: NodeProviderNotes } {
  const okp = detectOkpImport(c)
  if (!okp.found) throw new InternalError(`node provider: no X25519/Ed25519 key import works on this Node: ${okp.failures.join('; ')}`)
  const keys = okp.found
  const failed: string[] = []
  const unavailable: string[] = []

  let sym: SymmetricPrimitives = nobleSymmetric
  try {
    const native = nodeSymmetric(c)
    const failure = symmetricDifference(native)
    if (failure) failed.push(failure)
    else sym = native
  } catch (e) {
    failed.push(`HMAC/HKDF/ChaCha20/ChaCha20-Poly1305: ${describeError(e)}`)
  }
  const kem = detectNodeKem(c)
  if (kem.failure) failed.push(kem.failure)
  if (!kem.found && !kem.failure) unavailable.push('ML-KEM-768: no crypto.encapsulate on this Node (needs 24.7+)')
  const notes: NodeProviderNotes = Object.freeze({ unavailable: Object.freeze(unavailable), failed: Object.freeze(failed) })

  const xPub = new KeyCache<KeyObject>()
  const pending = new PendingRatchetKeys<KeyObject>()
  const ePub = new KeyCache<KeyObject>()
  const importPrivate = (curve: OkpCurve, secret: Uint8Array): KeyObject => {
    abytes(secret, 'secretKey', 32)
    try {
      return keys.privateKey(curve, secret)
    } catch (e) {
      throw new InternalError(`node provider: ${curve} private key import (${keys.name}) failed: ${describeError(e)}`, {}, { cause: e })
    }
  }

  const dh = (priv: KeyObject, publicKey: Uint8Array): Uint8Array => {
    abytes(publicKey, 'publicKey', 32)
    let pub: KeyObject
    try {
      pub = xPub.get(cacheId(publicKey), () => keys.publicKey('X25519', publicKey))
    } catch (e) {
      throw new RangeError(`"publicKey" could not be imported as an X25519 key: ${describeError(e)}`, { cause: e })
    }
    let out: Uint8Array
    try {
      out = new Uint8Array(c.diffieHellman({ privateKey: priv, publicKey: pub }))
    } catch (e) {
      // OpenSSL refuses an all-zero shared secret: the peer key is of small order.
      throw new RangeError('"publicKey" is a small-order or invalid X25519 point', { cause: e })
    }
    if (isAllZero(out)) throw new RangeError('"publicKey" is a small-order or invalid X25519 point')
    return out
  }

  const accelerated: AcceleratedPrimitive[] = ['x25519', 'ed25519']
  if (sym !== nobleSymmetric) accelerated.push('hmac-sha256', 'hkdf-sha256', 'chacha20', 'chacha20-poly1305')
  if (kem.found) accelerated.push('ml-kem-768')
  const nativeKem = kem.found

  const provider: CryptoProvider = Object.freeze({
    name: 'node',
    accelerated: Object.freeze(accelerated),
    x25519PublicKey: (secretKey: Uint8Array) => keys.publicBytes(importPrivate('X25519', secretKey)),
    x25519: (secretKey: Uint8Array, publicKey: Uint8Array) => dh(pending.take(abytes(secretKey, 'secretKey', 32)) ?? importPrivate('X25519', secretKey), publicKey),
    x25519Exchange: (secretKey: Uint8Array, publicKeys: readonly Uint8Array[], withPublicKey: boolean, keepForNextUse?: boolean) => {
      const priv = importPrivate('X25519', secretKey)
      const out = { publicKey: withPublicKey ? keys.publicBytes(priv) : undefined, shared: publicKeys.map((pub) => dh(priv, pub)) }
      if (keepForNextUse) pending.keep(secretKey, priv)
      return out
    },
    ed25519PublicKey: (secretKey: Uint8Array) => keys.publicBytes(importPrivate('Ed25519', secretKey)),
    ed25519Sign: (secretKey: Uint8Array, message: Uint8Array) => new Uint8Array(c.sign(null, message, importPrivate('Ed25519', secretKey))),
    ed25519Verify: (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => {
      if (!passesEd25519Precheck(publicKey, signature) || !(message instanceof Uint8Array)) return false
      try {
        const pub = ePub.get(cacheId(publicKey), () => keys.publicKey('Ed25519', publicKey))
        return c.verify(null, message, pub, signature)
      } catch {
        return false // an encoding that is not a curve point
      }
    },
    // With `m` the caller asked for a reproducible encapsulation, which only noble computes.
    // Without native ML-KEM these are noble's own functions (the self-test then skips them).
    mlKem768Encapsulate: nativeKem
      ? (publicKey: Uint8Array, m?: Uint8Array) => (m === undefined ? nativeKem.encapsulate(publicKey) : nobleKemEncapsulate(publicKey, m))
      : nobleKemEncapsulate,
    mlKem768Decapsulate: nativeKem ? (cipherText: Uint8Array, secretKey: Uint8Array) => nativeKem.decapsulate(cipherText, secretKey) : nobleKemDecapsulate,
    hmacSha256: sym.hmacSha256,
    hkdfSha256: sym.hkdfSha256,
    xchacha20: sym.xchacha20,
    chacha20Poly1305Seal: sym.chacha20Poly1305Seal,
    chacha20Poly1305Open: sym.chacha20Poly1305Open,
  })
  pendingOf.set(provider, pending)
  return { provider, notes }
}

const pendingOf = new WeakMap<CryptoProvider, PendingRatchetKeys<unknown>>()
/** @internal The fresh ratchet keys a node provider holds (tests check what it keeps). */
export function _pendingRatchetKeysOf(provider: CryptoProvider): PendingRatchetKeys<unknown> | undefined {
  return pendingOf.get(provider)
}
