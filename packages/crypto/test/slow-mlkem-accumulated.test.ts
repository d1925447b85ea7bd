/**
 * ML-KEM-768 known answers: C2SP CCTV accumulated vectors (10,000 tests; inputs from a SHAKE-128
 * DRBG over the empty string, outputs hashed into a running SHAKE-128). Source:
 * https://github.com/C2SP/CCTV/tree/main/ML-KEM (README, "Accumulated vectors", the final FIPS 203 hash; the older
 * f7db260e… value is for the FIPS 203 draft).
 */
import { describe, expect, it } from 'vitest'
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js'
import { shake128 } from '@noble/hashes/sha3.js'
import { bytesToHex } from '@noble/hashes/utils.js'

describe('ML-KEM-768 (FIPS 203) accumulated known answers', () => {
  it('10,000 keygen/encaps/decaps results hash to the published value', () => {
    const rng = shake128.create({})
    const acc = shake128.create({})
    const draw = (n: number) => rng.xof(n)
    expect(bytesToHex(shake128.create({}).xof(16))).toBe('7f9c2ba4e88f827d616045507605853e')
    for (let i = 0; i < 10_000; i++) {
      const d = draw(32)
      const z = draw(32)
      const m = draw(32)
      const badCt = draw(1088)
      const { publicKey, secretKey } = ml_kem768.keygen(new Uint8Array([...d, ...z]))
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, m)
      if (bytesToHex(ml_kem768.decapsulate(cipherText, secretKey)) !== bytesToHex(sharedSecret)) throw new RangeError(`decaps mismatch at ${i}`)
      acc.update(publicKey).update(secretKey).update(cipherText).update(sharedSecret).update(ml_kem768.decapsulate(badCt, secretKey))
    }
    expect(bytesToHex(acc.xof(32))).toBe('f959d18d3d1180121433bf0e05f11e7908cf9d03edc150b2b07cb90bef5bc1c1')
  }, 180_000)
})
