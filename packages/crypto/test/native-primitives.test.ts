/**
 * The native symmetric primitives and ML-KEM-768 against noble, on random inputs: same bytes
 * for HMAC-SHA256, HKDF-SHA256, XChaCha20 and ChaCha20-Poly1305 (any length, any byte offset, info past Node's
 * HKDF limit), and native encapsulation/decapsulation interoperating with noble's in both
 * directions, implicit rejection included. Where this Node has no native ML-KEM the node
 * provider must say so (and then runs noble's).
 */
import * as realCrypto from 'node:crypto'
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { NATIVE_CHACHA_MIN_BYTES } from '../src/provider/_node-symmetric.js'
import {
  bindFranking, MAX_HKDF_SHA256_BYTES, nobleProvider, nodeNativeProvider, openAtRest, sealAtRest, seededRandom, webCryptoProvider, type CryptoProvider,
} from '../src/index.js'

const node = nodeNativeProvider()
const natives: CryptoProvider[] = [node, webCryptoProvider()]
const bytes = (max: number) => fc.uint8Array({ maxLength: max })
/** A view at byte offset `offset` of a copy of `data` (unaligned input). */
const at = (data: Uint8Array, offset: number) => {
  const buf = new Uint8Array(data.length + offset)
  buf.set(data, offset)
  return buf.subarray(offset)
}

describe('native symmetric primitives', () => {
  it('the node provider runs HMAC, HKDF, ChaCha20 and ChaCha20-Poly1305 natively here', () => {
    expect(node.accelerated).toEqual(expect.arrayContaining(['hmac-sha256', 'hkdf-sha256', 'chacha20', 'chacha20-poly1305']))
  })

  it('ChaCha20-Poly1305 gives noble\'s bytes, opens across providers, and refuses any altered byte', () => {
    // Up to 2,600 bytes: both sides of NATIVE_CHACHA_MIN_BYTES (shorter inputs stay on noble).
    fc.assert(fc.property(
      fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 12, maxLength: 12 }), bytes(2600), bytes(64), fc.nat(3), fc.nat(),
      (key, nonce, data, ad, offset, flip) => {
        const want = nobleProvider.chacha20Poly1305Seal(key, nonce, data, ad)
        for (const p of natives) {
          const sealed = p.chacha20Poly1305Seal(key, nonce, at(data, offset), ad)
          expect(sealed).toEqual(want)
          expect(nobleProvider.chacha20Poly1305Open(key, nonce, at(sealed, offset), ad)).toEqual(data)
          expect(p.chacha20Poly1305Open(key, nonce, want, ad)).toEqual(data)
          const bad = want.slice()
          bad[flip % bad.length]! ^= 1
          expect(p.chacha20Poly1305Open(key, nonce, bad, ad)).toBeNull()
        }
      }), { numRuns: 200 })
    for (const p of [nobleProvider, ...natives]) {
      expect(p.chacha20Poly1305Open(new Uint8Array(32), new Uint8Array(12), new Uint8Array(15), new Uint8Array(0))).toBeNull()
      expect(() => p.chacha20Poly1305Seal(new Uint8Array(32), new Uint8Array(24), new Uint8Array(2000), new Uint8Array(0))).toThrow(RangeError)
      expect(() => p.chacha20Poly1305Open(new Uint8Array(31), new Uint8Array(12), new Uint8Array(2000), new Uint8Array(0))).toThrow(RangeError)
    }
  })

  it('XChaCha20 gives noble\'s bytes for any key, nonce, length and offset', () => {
    // Up to 2,600 bytes: both sides of NATIVE_CHACHA_MIN_BYTES (shorter inputs stay on noble).
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 24, maxLength: 24 }), bytes(2600), fc.nat(3), (key, nonce, data, offset) => {
      const want = nobleProvider.xchacha20(key, nonce, data)
      for (const p of natives) expect(p.xchacha20(key, nonce, at(data, offset))).toEqual(want)
    }), { numRuns: 300 })
    const key = new Uint8Array(32).fill(1)
    const nonce = new Uint8Array(24).fill(2)
    for (const length of [NATIVE_CHACHA_MIN_BYTES - 1, NATIVE_CHACHA_MIN_BYTES, NATIVE_CHACHA_MIN_BYTES + 1, 64 * 1024 + 7]) {
      const data = realCrypto.randomBytes(length)
      expect(node.xchacha20(key, nonce, data)).toEqual(nobleProvider.xchacha20(key, nonce, data))
    }
  })

  it('HMAC-SHA256 over several parts gives noble\'s bytes', () => {
    fc.assert(fc.property(bytes(100), fc.array(bytes(300), { maxLength: 5 }), (key, parts) => {
      expect(node.hmacSha256(key, ...parts)).toEqual(nobleProvider.hmacSha256(key, ...parts))
    }), { numRuns: 300 })
  })

  it('HKDF-SHA256 gives noble\'s bytes, with or without salt, and refuses the same lengths', () => {
    fc.assert(fc.property(bytes(80), fc.option(bytes(80), { nil: undefined }), bytes(1100), fc.nat(MAX_HKDF_SHA256_BYTES), (ikm, salt, info, length) => {
      expect(node.hkdfSha256(ikm, salt, info, length)).toEqual(nobleProvider.hkdfSha256(ikm, salt, info, length))
    }), { numRuns: 200 })
    for (const p of [nobleProvider, node]) {
      expect(() => p.hkdfSha256(new Uint8Array(1), undefined, new Uint8Array(0), MAX_HKDF_SHA256_BYTES + 1)).toThrow(RangeError)
      expect(() => p.hkdfSha256(new Uint8Array(1), undefined, new Uint8Array(0), -1)).toThrow(RangeError)
    }
  })
})

describe('server sealing and franking on a provider', () => {
  it('give the same bytes on the node provider as on noble, and open across them', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), bytes(2000), bytes(40), fc.uint8Array({ minLength: 32, maxLength: 32 }), (key, body, aad, seed) => {
      const a = sealAtRest(key, 'k1', body, aad, seededRandom(seed))
      expect(sealAtRest(key, 'k1', body, aad, seededRandom(seed), node)).toEqual(a)
      expect(openAtRest({ currentKid: 'k1', keys: { k1: key } }, a, aad, node)).toEqual(body)
      const ring = { currentKid: 'f', keys: { f: key } }
      const args = { tf: Buffer.from(seed).toString('base64'), sender: { userId: 'u', deviceId: 'd' }, conversationId: 'c', seq: body.length, ts: 1 }
      expect(bindFranking(ring, args, node)).toEqual(bindFranking(ring, args))
    }), { numRuns: 100 })
  })
})

describe('native ML-KEM-768', () => {
  it('the node provider uses crypto.encapsulate exactly when this Node has it', () => {
    expect(node.accelerated.includes('ml-kem-768')).toBe(typeof (realCrypto as { encapsulate?: unknown }).encapsulate === 'function')
  })

  it('interoperates with noble both ways, including implicit rejection of a substituted ciphertext', async () => {
    await fc.assert(fc.asyncProperty(fc.uint8Array({ minLength: 64, maxLength: 64 }), fc.nat(1087), async (seed, flip) => {
      const { publicKey, secretKey } = ml_kem768.keygen(seed)
      for (const p of natives) {
        const ours = await p.mlKem768Encapsulate(publicKey)
        expect(ours.cipherText.length).toBe(1088)
        expect(ml_kem768.decapsulate(ours.cipherText, secretKey)).toEqual(ours.sharedSecret)
        const theirs = ml_kem768.encapsulate(publicKey)
        expect(await p.mlKem768Decapsulate(theirs.cipherText, secretKey)).toEqual(theirs.sharedSecret)
        const substituted = theirs.cipherText.slice()
        substituted[flip]! ^= 1
        const rejected = ml_kem768.decapsulate(substituted, secretKey)
        expect(rejected).not.toEqual(theirs.sharedSecret)
        expect(await p.mlKem768Decapsulate(substituted, secretKey)).toEqual(rejected)
        expect(await p.mlKem768Decapsulate(substituted, secretKey, true)).toEqual(rejected)
      }
    }), { numRuns: 12 })
  }, 120_000)

  it('with a caller-supplied m every provider is deterministic and equal to noble', async () => {
    const { publicKey } = ml_kem768.keygen(new Uint8Array(64).fill(3))
    const m = new Uint8Array(32).fill(4)
    const want = ml_kem768.encapsulate(publicKey, m)
    for (const p of natives) expect(await p.mlKem768Encapsulate(publicKey, m)).toEqual(want)
  })
})
