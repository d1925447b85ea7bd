/** Published vectors: RFC 7748, RFC 8032, RFC 5869, RFC 4231, XChaCha20 draft, ML-KEM-768 (C2SP CCTV). */
import { describe, expect, it } from 'vitest'
import { xchacha20 } from '@noble/ciphers/chacha.js'
import { bytesToHex, hexToBytes } from '@noble/hashes/utils.js'
import { hkdf } from '@noble/hashes/hkdf.js'
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { nobleProvider, nodeNativeProvider, webCryptoProvider, type CryptoProvider } from '../src/index.js'
import { hkdfSha256, hmacSha256 } from '../src/kdf.js'

const h = hexToBytes
const providers: CryptoProvider[] = [nobleProvider, nodeNativeProvider(), webCryptoProvider()]

describe.each(providers.map((p) => [p.name, p] as const))('RFC 7748 / RFC 8032 through the %s provider', (_name, p) => {
  it('X25519 §5.2 and §6.1', async () => {
    // §5.2 first vector: scalar and u-coordinate.
    expect(bytesToHex(await p.x25519(
      h('a546e36bf0527c9d3b16154b82465edd62144c0ac1fc5a18506a2244ba449ac4'),
      h('e6db6867583030db3594c1a424b15f7c726624ec26b3353b10a903a6d0ab1c4c'),
    ))).toBe('c3da55379de9c6908e94ea4df28d084f32eccf03491c71f754b4075577a28552')
    const a = h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a')
    const b = h('5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb')
    expect(bytesToHex(await p.x25519PublicKey(a))).toBe('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')
    expect(bytesToHex(await p.x25519PublicKey(b))).toBe('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')
    const shared = '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742'
    expect(bytesToHex(await p.x25519(a, h('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f')))).toBe(shared)
    expect(bytesToHex(await p.x25519(b, h('8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a')))).toBe(shared)
  })
  it('X25519 rejects a small-order point', async () => {
    await expect(Promise.resolve().then(() => p.x25519(h('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a'), new Uint8Array(32)))).rejects.toBeInstanceOf(RangeError)
  })
  it('Ed25519 §7.1 tests 1 and 2', async () => {
    const cases = [
      ['9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60', 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', '',
        'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b'],
      ['4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb', '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c', '72',
        '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00'],
    ]
    for (const [sk, pk, msg, sig] of cases) {
      expect(bytesToHex(await p.ed25519PublicKey(h(sk!)))).toBe(pk)
      expect(bytesToHex(await p.ed25519Sign(h(sk!), h(msg!)))).toBe(sig)
      expect(await p.ed25519Verify(h(pk!), h(msg!), h(sig!))).toBe(true)
      const bad = h(sig!)
      bad[10]! ^= 4
      expect(await p.ed25519Verify(h(pk!), h(msg!), bad)).toBe(false)
    }
  })
})

describe('RFC 5869 HKDF-SHA256 and RFC 4231 HMAC-SHA256', () => {
  it('HKDF test cases 1 and 3', () => {
    const ikm = new Uint8Array(22).fill(0x0b)
    expect(bytesToHex(hkdf(sha256, ikm, h('000102030405060708090a0b0c'), h('f0f1f2f3f4f5f6f7f8f9'), 42)))
      .toBe('3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865')
    expect(bytesToHex(hkdf(sha256, ikm, new Uint8Array(0), new Uint8Array(0), 42)))
      .toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8')
    // Parley's wrapper with an empty info label gives the same bytes as test case 3.
    expect(bytesToHex(hkdfSha256(ikm, new Uint8Array(0), '', 42))).toBe('8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8')
  })
  it('HMAC test cases 1 and 2', () => {
    expect(bytesToHex(hmacSha256(new Uint8Array(20).fill(0x0b), new TextEncoder().encode('Hi There'))))
      .toBe('b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7')
    expect(bytesToHex(hmac(sha256, new TextEncoder().encode('Jefe'), new TextEncoder().encode('what do ya want for nothing?'))))
      .toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843')
  })
})

describe('XChaCha20 (draft-irtf-cfrg-xchacha-03 §A.3.2)', () => {
  it('encrypts the dhole text', () => {
    const key = h('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f')
    const nonce = h('404142434445464748494a4b4c4d4e4f5051525354555658')
    const pt = new TextEncoder().encode('The dhole (pronounced "dole") is also known as the Asiatic wild dog, red dog, and whistling dog. It is about the size of a German shepherd but looks more like a long-legged fox. This highly elusive and skilled jumper is classified with wolves, coyotes, jackals, and foxes in the taxonomic family Canidae.')
    expect(bytesToHex(xchacha20(key, nonce, pt))).toBe(
      '4559abba4e48c16102e8bb2c05e6947f50a786de162f9b0b7e592a9b53d0d4e98d8d6410d540a1a6375b26d80dace4fab52384c731acbf16a5923c0c48d3575d' +
      '4d0d2c673b666faa731061277701093a6bf7a158a8864292a41c48e3a9b4c0daece0f8d98d0d7e05b37a307bbb66333164ec9e1b24ea0d6c3ffddcec4f68e744' +
      '3056193a03c810e11344ca06d8ed8a2bfb1e8d48cfa6bc0eb4e2464b748142407c9f431aee769960e15ba8b96890466ef2457599852385c661f752ce20f9da0c' +
      '09ab6b19df74e76a95967446f8d0fd415e7bee2a12a114c20eb5292ae7a349ae577820d5520a1f3fb62a17ce6a7e68fa7c79111d8860920bc048ef43fe84486c' +
      'cb87c25f0ae045f0cce1e7989a9aa220a28bdd4827e751a24a6d5c62d790a66393b93111c1a55dd7421a10184974c7c5',
    )
  })
})
