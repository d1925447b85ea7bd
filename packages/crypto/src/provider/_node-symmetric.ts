/**
 * HMAC-SHA256, HKDF-SHA256, XChaCha20 and ChaCha20-Poly1305 on `node:crypto`. XChaCha20 is noble's HChaCha20
 * (draft-irtf-cfrg-xchacha §2.2) for the subkey, then OpenSSL's ChaCha20 stream, whose 16-byte
 * IV is the 32-bit little-endian block counter followed by the 96-bit nonce: counter 0 (as
 * noble's `xchacha20`) ‖ 0x00000000 ‖ nonce[16..24] (§2.3). Same bytes as noble for every
 * input; inputs Node bounds differently (HKDF info over 1,024 bytes) and ChaCha20 inputs too
 * short to repay a cipher object go to noble. ChaCha20-Poly1305 is OpenSSL's RFC 8439 AEAD as
 * it stands (12-byte nonce, 16-byte tag).
 */
import type * as NodeCrypto from 'node:crypto'
import { hchacha } from '@noble/ciphers/chacha.js'
import { abytes } from '../_assert.js'
import { utf8 } from '../_bytes.js'
import {
  ahkdfLength, CHACHA20_POLY1305_NONCE_BYTES, nobleChaCha20Poly1305Open, nobleChaCha20Poly1305Seal, nobleHkdfSha256, nobleXChaCha20, POLY1305_TAG_BYTES,
} from './_noble-symmetric.js'
import type { SymmetricPrimitives } from './provider.js'

/** Longest HKDF info `crypto.hkdfSync` takes (Node's limit); longer goes to noble. */
export const MAX_NODE_HKDF_INFO_BYTES = 1024
/**
 * Shortest input XChaCha20 runs on `node:crypto`: below it a cipher object costs more than
 * noble's whole keystream (measured crossover about 1 KiB on Node 20–26; same bytes either way).
 */
export const NATIVE_CHACHA_MIN_BYTES = 1024

const EMPTY = new Uint8Array(0)
// "expand 32-byte k" as host-order words: what noble's hchacha expects (it swaps on big-endian hosts).
const SIGMA = new Uint32Array(utf8('expand 32-byte k').buffer)

const view = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)
/** Host-order words of bytes, copied so the view is aligned. */
const words = (b: Uint8Array) => new Uint32Array(b.slice().buffer)

/**
 * XChaCha20's subkey for `key` and the first 16 bytes of the nonce (HChaCha20, §2.2): what
 * OpenSSL's ChaCha20 then runs under (internal: also the worker sealer's, file-seal-worker.ts).
 */
export function xchachaSubkey(key: Uint8Array, nonce16: Uint8Array): Uint8Array {
  abytes(key, 'key', 32)
  abytes(nonce16, 'nonce16', 16)
  const subkey = new Uint32Array(8)
  hchacha(SIGMA, words(key), words(nonce16), subkey)
  return new Uint8Array(subkey.buffer)
}

/**
 * The symmetric primitives on `node:crypto`. `nativeMinBytes` is where the ChaCha20 paths start
 * (tests pass 0 so short vectors reach OpenSSL too).
 */
export function nodeSymmetric(c: typeof NodeCrypto, nativeMinBytes: number = NATIVE_CHACHA_MIN_BYTES): SymmetricPrimitives {
  return {
    hmacSha256(key, ...parts) {
      const mac = c.createHmac('sha256', key)
      for (const p of parts) mac.update(p)
      return view(mac.digest())
    },
    hkdfSha256(ikm, salt, info, length) {
      ahkdfLength(length)
      if (length === 0 || info.length > MAX_NODE_HKDF_INFO_BYTES) return nobleHkdfSha256(ikm, salt, info, length)
      return new Uint8Array(c.hkdfSync('sha256', ikm, salt ?? EMPTY, info, length))
    },
    xchacha20(key, nonce, data) {
      if (data.length < nativeMinBytes) return nobleXChaCha20(key, nonce, data)
      abytes(nonce, 'nonce', 24)
      const subkey = xchachaSubkey(key, nonce.subarray(0, 16))
      const iv = new Uint8Array(16)
      iv.set(nonce.subarray(16, 24), 8)
      const cipher = c.createCipheriv('chacha20', subkey, iv)
      const out = view(cipher.update(data))
      subkey.fill(0)
      return out
    },
    chacha20Poly1305Seal(key, nonce, plaintext, ad) {
      if (plaintext.length < nativeMinBytes) return nobleChaCha20Poly1305Seal(key, nonce, plaintext, ad)
      abytes(key, 'key', 32)
      abytes(nonce, 'nonce', CHACHA20_POLY1305_NONCE_BYTES)
      const cipher = c.createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: POLY1305_TAG_BYTES })
      cipher.setAAD(ad, { plaintextLength: plaintext.length })
      const ct = cipher.update(plaintext)
      cipher.final()
      const out = new Uint8Array(ct.length + POLY1305_TAG_BYTES)
      out.set(ct, 0)
      out.set(cipher.getAuthTag(), ct.length)
      return out
    },
    chacha20Poly1305Open(key, nonce, sealed, ad) {
      if (sealed.length < nativeMinBytes) return nobleChaCha20Poly1305Open(key, nonce, sealed, ad)
      abytes(key, 'key', 32)
      abytes(nonce, 'nonce', CHACHA20_POLY1305_NONCE_BYTES)
      const end = sealed.length - POLY1305_TAG_BYTES
      const decipher = c.createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: POLY1305_TAG_BYTES })
      decipher.setAuthTag(sealed.subarray(end))
      decipher.setAAD(ad, { plaintextLength: end })
      const plain = decipher.update(sealed.subarray(0, end))
      try {
        decipher.final() // checks the tag; the plaintext is only returned after it
      } catch {
        plain.fill(0)
        return null
      }
      return view(plain)
    },
  }
}
