/** The prepared last-resort ML-KEM path returns exactly what plain decapsulation returns. */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { describe, expect, it } from 'vitest'
import { kemDecapsulate } from '../src/pqxdh/kem-cache.js'
import { decryptMessage, encryptMessage, initiateSession, KEM_LAST_RESORT_ID_BASE, nodeNativeProvider } from '../src/index.js'
import { ctxAB, dec, enc, parties } from './_fixtures.js'

const seeded = (n: number) => new Uint8Array(64).fill(n)

describe('kemDecapsulate', () => {
  it('matches ml_kem768.decapsulate for valid and substituted ciphertexts, cached or not, across keys', () => {
    const keys = [ml_kem768.keygen(seeded(1)), ml_kem768.keygen(seeded(2))]
    for (let round = 0; round < 3; round++) {
      for (const k of keys) {
        const { cipherText, sharedSecret } = ml_kem768.encapsulate(k.publicKey)
        expect(kemDecapsulate(cipherText, k.secretKey, true)).toEqual(sharedSecret)
        expect(kemDecapsulate(cipherText, k.secretKey, false)).toEqual(sharedSecret)
        const bad = cipherText.slice()
        bad[5]! ^= 1
        const rejected = ml_kem768.decapsulate(bad, k.secretKey) // implicit rejection value
        expect(rejected).not.toEqual(sharedSecret)
        expect(kemDecapsulate(bad, k.secretKey, true)).toEqual(rejected)
      }
    }
  })
  it('falls back to the plain path when a secret key carries another key\'s H(ek)', () => {
    const a = ml_kem768.keygen(seeded(3))
    const b = ml_kem768.keygen(seeded(4))
    const { cipherText } = ml_kem768.encapsulate(a.publicKey)
    kemDecapsulate(cipherText, a.secretKey, true) // caches a's prepared key
    const forged = b.secretKey.slice()
    forged.set(a.secretKey.subarray(2336, 2368), 2336) // b's key under a's H(ek): fails FIPS 203's check
    expect(() => kemDecapsulate(cipherText, forged, true)).toThrow()
    expect(() => ml_kem768.decapsulate(cipherText, forged)).toThrow()
  })
  it('a last-resort KEM prekey serves several initiators', async () => {
    const p = parties(9, false)
    const provider = nodeNativeProvider()
    const bundle = { ...p.bundle, kemPreKey: p.batch.public.kemLastResortPreKey!, kemPreKeyIsLastResort: true }
    for (const text of ['one', 'two', 'three']) {
      const a = await initiateSession({ ours: p.alice, theirs: bundle, provider })
      const m = await encryptMessage({ state: a, plaintext: enc(text), context: ctxAB, provider })
      const r = await decryptMessage({ ours: p.bob, preKeys: p.batch.secrets, type: m.type, ciphertext: m.ciphertext, context: ctxAB, provider })
      expect(dec(r.plaintext)).toBe(text)
      expect(r.usedPreKeys).toMatchObject({ kem: KEM_LAST_RESORT_ID_BASE + 2, kemIsLastResort: true })
    }
  })
})
