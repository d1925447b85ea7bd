/**
 * One Ed25519 rule (docs/decisions/0006-ed25519-verification-rule.md) on every provider and in
 * `verify()`, the function the server checks prekeys, device lists, hello proofs and mode
 * changes with: signatures a lenient verifier accepts — an R with an 8-torsion component
 * (cofactored verifiers), a small-order public key (OpenSSL), S + L, a non-canonical R
 * (ZIP-215) — are refused by all, and all agree with noble on honest and mutated signatures.
 */
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { createPublicKey, verify as nodeVerify } from 'node:crypto'
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesToNumberLE, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { InvalidSignatureError } from '@parley/protocol'
import {
  nobleProvider, nodeNativeProvider, passesEd25519Precheck, preKeySigningBytes, verify, verifyBundle, verifyBundleWith,
  verifyEd25519Strict, webCryptoProvider, type CryptoProvider,
} from '../src/index.js'
import { fromBase64, toBase64 } from '../src/_bytes.js'
import { parties } from './_fixtures.js'

const { Point } = ed25519
const providers: CryptoProvider[] = [nobleProvider, nodeNativeProvider(), webCryptoProvider()]
const enc = (s: string) => new TextEncoder().encode(s)
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]))
const T8 = Point.fromBytes(hexToBytes(ED25519_TORSION_SUBGROUP[3]!), false) // order 8

/** An honest-looking signature by `seed` whose R (and optionally A) carries torsion `t`. */
function torsionSignature(seed: Uint8Array, msg: Uint8Array, tR: typeof T8, tA = Point.ZERO) {
  const { scalar } = ed25519.utils.getExtendedPublicKey(seed)
  const A = Point.BASE.multiply(scalar).add(tA).toBytes()
  const r = Point.Fn.create(bytesToNumberLE(sha512(cat(seed, msg))))
  const R = Point.BASE.multiply(r).add(tR).toBytes()
  const k = Point.Fn.create(bytesToNumberLE(sha512(cat(R, A, msg))))
  return { publicKey: A, signature: cat(R, numberToBytesLE(Point.Fn.create(r + k * scalar), 32)) }
}

async function everyProvider(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): Promise<boolean[]> {
  return Promise.all(providers.map(async (p) => await p.ed25519Verify(pk, msg, sig)))
}

describe('the Ed25519 rule', () => {
  it('refuses an R with an 8-torsion component on every provider and in verify(), though cofactored noble accepts it', async () => {
    const msg = enc('parley mixed-order R')
    const { publicKey, signature } = torsionSignature(Uint8Array.from({ length: 32 }, (_, i) => 0x50 + i), msg, T8)
    // Control: the signature is valid for a cofactored verifier (noble's own verify, both modes).
    expect(ed25519.verify(signature, msg, publicKey)).toBe(true)
    expect(ed25519.verify(signature, msg, publicKey, { zip215: false })).toBe(true)
    expect(await everyProvider(publicKey, msg, signature)).toEqual(providers.map(() => false))
    expect(verify(toBase64(publicKey), msg, toBase64(signature))).toBe(false)
    // The same key's honest signature verifies everywhere.
    const honest = torsionSignature(Uint8Array.from({ length: 32 }, (_, i) => 0x50 + i), msg, Point.ZERO)
    expect(await everyProvider(honest.publicKey, msg, honest.signature)).toEqual(providers.map(() => true))
  })

  it('a bundle signed with a torsion-carrying R fails the server\'s check and every client provider alike', async () => {
    const p = parties(7)
    const spk = p.bundle.signedPreKey
    const msg = preKeySigningBytes(spk.id, fromBase64(spk.publicKey))
    const forged = torsionSignature(fromBase64(p.bob.signing.secretKey), msg, T8)
    expect(toBase64(forged.publicKey)).toBe(p.bundle.signingKey)
    expect(ed25519.verify(forged.signature, msg, forged.publicKey)).toBe(true) // what the server used to accept
    const bundle = { ...p.bundle, signedPreKey: { ...spk, signature: toBase64(forged.signature) } }
    expect(() => verifyBundle(bundle)).toThrow(InvalidSignatureError)
    for (const provider of providers) await expect(verifyBundleWith(bundle, provider)).rejects.toBeInstanceOf(InvalidSignatureError)
    await verifyBundleWith(p.bundle, providers[1]!) // control: the honest bundle passes
  })

  it('refuses every small-order public key, where verifiers differ (OpenSSL 3.0 and ZIP-215 accept the identity key signing anything)', async () => {
    // For A = identity, [S]B = R holds for any message when R = [S]B: a universal forgery.
    const s = 12345n
    const sig = cat(Point.BASE.multiply(s).toBytes(), numberToBytesLE(s, 32))
    const identity = hexToBytes(ED25519_TORSION_SUBGROUP[0]!)
    expect(ed25519.verify(sig, enc('anything'), identity)).toBe(true)
    // Platform verifiers differ here by OpenSSL version (3.0 accepts, 3.5 refuses): the
    // precheck, not the platform, decides.
    const spki = cat(hexToBytes('302a300506032b6570032100'), identity)
    expect(typeof nodeVerify(null, enc('anything'), createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }), sig)).toBe('boolean')
    for (const hex of ED25519_TORSION_SUBGROUP) {
      expect(passesEd25519Precheck(hexToBytes(hex), sig)).toBe(false)
      expect(await everyProvider(hexToBytes(hex), enc('anything'), sig)).toEqual(providers.map(() => false))
    }
  })

  it('refuses S + L, a non-canonical R and a small-order R', async () => {
    const seed = new Uint8Array(32).fill(9)
    const msg = enc('m')
    const pk = ed25519.getPublicKey(seed)
    const sig = ed25519.sign(msg, seed)
    const plusL = cat(sig.subarray(0, 32), numberToBytesLE(bytesToNumberLE(sig.subarray(32)) + Point.Fn.ORDER, 32))
    // R = identity encoded with the x sign bit set (Wycheproof ed25519 tcId 151's shape).
    const negZero = cat(hexToBytes('0100000000000000000000000000000000000000000000000000000000000080'), sig.subarray(32))
    const smallR = cat(hexToBytes(ED25519_TORSION_SUBGROUP[4]!), sig.subarray(32))
    expect(await everyProvider(pk, msg, sig)).toEqual(providers.map(() => true))
    for (const bad of [plusL, negZero, smallR]) expect(await everyProvider(pk, msg, bad)).toEqual(providers.map(() => false))
  })

  it('every provider agrees with noble on honest, mutated and torsion-carrying signatures', async () => {
    const torsion = ED25519_TORSION_SUBGROUP.map((h) => Point.fromBytes(hexToBytes(h), false))
    await fc.assert(fc.asyncProperty(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ maxLength: 80 }),
      fc.nat(7), fc.nat(7), fc.constantFrom('none', 'sig', 'pk', 'msg'), fc.nat(511),
      async (seed, msg, iR, iA, mutate, bit) => {
        const { publicKey, signature } = torsionSignature(seed, msg, torsion[iR]!, torsion[iA]!)
        const pk = publicKey.slice()
        const sig = signature.slice()
        let m = msg
        if (mutate === 'sig') sig[bit >> 3]! ^= 1 << (bit & 7)
        if (mutate === 'pk') pk[(bit >> 3) % 32]! ^= 1 << (bit & 7)
        if (mutate === 'msg') m = cat(msg, new Uint8Array([bit & 0xff]))
        const reference = verifyEd25519Strict(pk, m, sig)
        expect(await everyProvider(pk, m, sig)).toEqual(providers.map(() => reference))
        expect(verify(toBase64(pk), m, toBase64(sig))).toBe(reference)
        // Torsion-free, unmutated: valid. Torsion in R alone: never valid under the rule.
        if (mutate === 'none' && iR === 0 && iA === 0) expect(reference).toBe(true)
        if (mutate === 'none' && iR !== 0 && iA === 0) expect(reference).toBe(false)
      },
    ), { numRuns: 200 })
  }, 120_000)
})
