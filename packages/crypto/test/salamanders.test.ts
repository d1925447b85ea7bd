/**
 * Invisible Salamanders (Dodis–Grubbs–Ristenpart–Woodage 2018; Len–Grubbs–Ristenpart 2021):
 * for XChaCha20-Poly1305 we construct one ciphertext that opens under two chosen keys by
 * solving a linear equation over GF(2^130 − 5) for one free ciphertext block. The same
 * construction against Parley's AEAD (HMAC-SHA256 tag) fails.
 */
import { describe, expect, it } from 'vitest'
import { xchacha20, xchacha20poly1305 } from '@noble/ciphers/chacha.js'
import { BadMacError } from '@parley/protocol'
import { aeadDecrypt, seededRandom } from '../src/index.js'
import { AEAD_NONCE_BYTES, deriveEtmKeys, etmSeal } from '../src/aead.js'
import { concat } from '../src/_bytes.js'
import { LABELS } from '../src/kdf.js'

const P = (1n << 130n) - 5n
const MOD128 = 1n << 128n
const le = (b: Uint8Array) => b.reduceRight((acc, x) => (acc << 8n) | BigInt(x), 0n)
const toLe = (n: bigint, len: number) => Uint8Array.from({ length: len }, (_, i) => Number((n >> BigInt(8 * i)) & 0xffn))
const mod = (a: bigint) => ((a % P) + P) % P
function pow(b: bigint, e: number): bigint {
  let r = 1n
  for (let i = 0; i < e; i++) r = mod(r * b)
  return r
}
function inv(a: bigint): bigint {
  let r = 1n, b = mod(a), e = P - 2n
  while (e > 0n) {
    if (e & 1n) r = mod(r * b)
    b = mod(b * b)
    e >>= 1n
  }
  return r
}

/** Poly1305 one-time key (r, s) of XChaCha20-Poly1305 for (key, nonce): keystream block 0. */
function polyKey(key: Uint8Array, nonce: Uint8Array): { r: bigint; s: bigint } {
  const ks = xchacha20(key, nonce, new Uint8Array(32))
  return { r: le(ks.subarray(0, 16)) & 0x0ffffffc0ffffffc0ffffffc0fffffffn, s: le(ks.subarray(16, 32)) }
}

/** Poly1305 over the RFC 8439 AEAD input with empty AD, as a field element before adding s. */
function polyEval(blocks: bigint[], r: bigint): bigint {
  let h = 0n
  for (const b of blocks) h = mod((h + b) * r)
  return h
}

/**
 * Finds C (m blocks, block `free` solved for) with Poly1305_k1(C) = Poly1305_k2(C).
 * Returns `C ‖ tag`, or null when this attempt's solution is not a valid block.
 */
function collide(k1: Uint8Array, k2: Uint8Array, nonce: Uint8Array, random: (n: number) => Uint8Array, m = 4, free = 1): Uint8Array | null {
  const a = polyKey(k1, nonce)
  const b = polyKey(k2, nonce)
  const ct = random(16 * m)
  const lenBlock = le(concat(toLe(0n, 8), toLe(BigInt(16 * m), 8))) + MOD128
  const blocks = Array.from({ length: m }, (_, i) => le(ct.subarray(16 * i, 16 * i + 16)) + MOD128).concat(lenBlock)
  const q = blocks.length
  const e = q - free // exponent of r for block `free` (0-based)
  blocks[free] = 0n
  const h1 = polyEval(blocks, a.r)
  const h2 = polyEval(blocks, b.r)
  // Want (h1 + x·r1^e) − (h2 + x·r2^e) ≡ s2 − s1 (as integers mod 2^128); solve it mod p.
  const delta = mod(b.s - a.s + MOD128) % MOD128
  const x = mod((delta - h1 + h2) * inv(pow(a.r, e) - pow(b.r, e)))
  if (x < MOD128 || x >= 2n * MOD128) return null // the block must be 16 bytes plus the 2^128 pad bit
  blocks[free] = x
  const t1 = (polyEval(blocks, a.r) + a.s) % MOD128
  const t2 = (polyEval(blocks, b.r) + b.s) % MOD128
  if (t1 !== t2) return null // the integer difference landed on δ − p: try other blocks
  ct.set(toLe(x - MOD128, 16), 16 * free)
  return concat(ct, toLe(t1, 16))
}

describe('Invisible Salamanders', () => {
  const random = seededRandom(new Uint8Array(32).fill(42))
  const k1 = random(32)
  const k2 = random(32)
  const nonce = random(24)

  it('finds one XChaCha20-Poly1305 ciphertext that opens under two keys (the attack works)', () => {
    let sealed: Uint8Array | null = null
    for (let i = 0; i < 200 && !sealed; i++) sealed = collide(k1, k2, nonce, random)
    expect(sealed).not.toBeNull()
    const p1 = xchacha20poly1305(k1, nonce).decrypt(sealed!)
    const p2 = xchacha20poly1305(k2, nonce).decrypt(sealed!)
    expect(p1).not.toEqual(p2)
  })

  it("fails against Parley's AEAD: the ciphertext opens under its own key only", () => {
    let found = 0
    for (let i = 0; i < 200 && found < 5; i++) {
      const c = collide(k1, k2, nonce, random)
      if (!c) continue
      found++
      // Same ciphertext body, sealed the only way an attacker can: Parley's tag under k1.
      const body = c.subarray(0, c.length - 16)
      const n = nonce.subarray(0, AEAD_NONCE_BYTES)
      const keys = deriveEtmKeys(k1, LABELS.aead)
      const sealed = concat(n, etmSeal(keys, n, body, new Uint8Array(0)))
      expect(aeadDecrypt(k1, sealed)).toHaveLength(body.length)
      expect(() => aeadDecrypt(k2, sealed)).toThrow(BadMacError)
      // And the Poly1305 collision tag itself is no Parley tag under either key.
      expect(() => aeadDecrypt(k1, concat(n, c))).toThrow(BadMacError)
      expect(() => aeadDecrypt(k2, concat(n, c))).toThrow(BadMacError)
    }
    expect(found).toBe(5)
  })
})
