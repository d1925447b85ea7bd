/**
 * Safety numbers, as Signal's NumericFingerprintGenerator (libsignal `fingerprint.rs`,
 * version 0, 5200 iterations): per user, `h = SHA-512(u16 version ‖ key ‖ id)`, then 5200
 * times `h = SHA-512(h ‖ key)`; the first 30 bytes give 6 chunks of 5 digits (40-bit
 * big-endian mod 100000). The two 30-digit halves are sorted, so both users see one number.
 */
import { sha512 } from '@noble/hashes/sha2.js'
import { ab64, astring } from './_assert.js'
import { concat, toBase64, utf8 } from './_bytes.js'

/** SHA-512 iterations of the fingerprint (Signal's value). */
export const SAFETY_NUMBER_ITERATIONS = 5200
/** Digits of a safety number. */
export const SAFETY_NUMBER_DIGITS = 60
const FINGERPRINT_VERSION = new Uint8Array([0, 0])
/** Version byte of the QR payload. */
export const SAFETY_QR_VERSION = 1

/** One user's 32-byte fingerprint hash (first 32 bytes of the iterated SHA-512). */
export function fingerprintHash(userId: string, identityKey: Uint8Array, iterations = SAFETY_NUMBER_ITERATIONS): Uint8Array {
  let h = concat(FINGERPRINT_VERSION, identityKey, utf8(userId))
  for (let i = 0; i < iterations; i++) h = sha512(concat(h, identityKey))
  return h.slice(0, 32)
}

function digitsOf(hash: Uint8Array): string {
  let out = ''
  for (let i = 0; i < 30; i += 5) {
    const n = hash[i]! * 2 ** 32 + ((hash[i + 1]! << 24) >>> 0) + (hash[i + 2]! << 16) + (hash[i + 3]! << 8) + hash[i + 4]!
    out += String(n % 100000).padStart(5, '0')
  }
  return out
}

/**
 * The safety number of two users: 60 digits and a QR payload, the same whichever side asks.
 * @throws {TypeError|RangeError} malformed user id or key.
 * @example
 * safetyNumber({ userId: 'alice', identityKey: a }, { userId: 'bob', identityKey: b }).digits
 */
export function safetyNumber(a: { userId: string; identityKey: string }, b: { userId: string; identityKey: string }): { digits: string; qrPayload: string } {
  const ha = fingerprintHash(astring(a?.userId, 'a.userId', true), ab64(a.identityKey, 'a.identityKey', 32))
  const hb = fingerprintHash(astring(b?.userId, 'b.userId', true), ab64(b.identityKey, 'b.identityKey', 32))
  const da = digitsOf(ha)
  const db = digitsOf(hb)
  const [first, second] = da <= db ? [ha, hb] : [hb, ha]
  return {
    digits: da <= db ? da + db : db + da,
    qrPayload: toBase64(concat(new Uint8Array([SAFETY_QR_VERSION]), first, second)),
  }
}
