/**
 * Parley's one Ed25519 verification rule (docs/decisions/0006-ed25519-verification-rule.md):
 * strict RFC 8032 §5.1.7, as libsodium and ed25519-dalek's `verify_strict` apply it.
 *   1. S < L (§5.1.7 step 1; no malleable S + L).
 *   2. A and R are canonical encodings (y < p, §5.1.3) and neither is a small-order point.
 *   3. The cofactorless equation [S]B = R + [k]A, k = SHA-512(R ‖ A ‖ M) mod L, holds exactly.
 * Steps 1 and 2 are byte checks ({@link passesEd25519Precheck}) run before any provider's
 * verify, so no platform's leniency can differ; platform verifiers (OpenSSL, BoringSSL) check
 * step 3 cofactorless, and {@link verifyEd25519Strict} is step 3 on noble's group operations,
 * since noble's own `verify` checks the cofactored equation.
 */
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js'
import { sha512 } from '@noble/hashes/sha2.js'
import { bytesToNumberLE, hexToBytes, numberToBytesLE } from '@noble/curves/utils.js'
import { equalBytes } from './_bytes.js'

const { Point } = ed25519
const BYTES = 32
/** The field prime p = 2^255 − 19 and the group order L, little-endian (from noble's curve). */
const P_LE = numberToBytesLE(Point.Fp.ORDER, BYTES)
const L_LE = numberToBytesLE(Point.Fn.ORDER, BYTES)
/** y-coordinates (sign bit cleared) of the 8 small-order points: 0, 1, p − 1 and two order-8 values. */
const SMALL_ORDER_Y = [...new Set(ED25519_TORSION_SUBGROUP.map((hex) => {
  const b = hexToBytes(hex)
  b[31]! &= 0x7f
  return b.join(',')
}))].map((s) => Uint8Array.from(s.split(',').map(Number)))

/** a < bound, both little-endian of equal length; `topMask` clears the top byte's high bits of `a`. */
function lessThanLE(a: Uint8Array, offset: number, bound: Uint8Array, topMask = 0xff): boolean {
  for (let i = BYTES - 1; i >= 0; i--) {
    const x = i === BYTES - 1 ? a[offset + i]! & topMask : a[offset + i]!
    if (x !== bound[i]) return x < bound[i]!
  }
  return false
}

/** A canonical point encoding (y < p) that is not one of the 8 small-order points. */
function acceptablePoint(bytes: Uint8Array, offset: number): boolean {
  if (!lessThanLE(bytes, offset, P_LE, 0x7f)) return false
  outer: for (const y of SMALL_ORDER_Y) {
    for (let i = 0; i < BYTES; i++) {
      const b = i === BYTES - 1 ? bytes[offset + i]! & 0x7f : bytes[offset + i]!
      if (b !== y[i]) continue outer
    }
    return false
  }
  return true
}

/**
 * Steps 1 and 2 of the rule on bytes alone: lengths, S < L, A and R canonical and not of
 * small order. Every provider runs it before its own verification.
 */
export function passesEd25519Precheck(publicKey: unknown, signature: unknown): boolean {
  if (!(publicKey instanceof Uint8Array) || publicKey.length !== BYTES) return false
  if (!(signature instanceof Uint8Array) || signature.length !== 2 * BYTES) return false
  return lessThanLE(signature, BYTES, L_LE) && acceptablePoint(publicKey, 0) && acceptablePoint(signature, 0)
}

/**
 * The whole rule on noble: the precheck, then the cofactorless equation. False (never a
 * throw) for any malformed input or off-curve point.
 */
export function verifyEd25519Strict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (!passesEd25519Precheck(publicKey, signature) || !(message instanceof Uint8Array)) return false
  try {
    const A = Point.fromBytes(publicKey, false)
    const r = signature.subarray(0, BYTES)
    const s = bytesToNumberLE(signature.subarray(BYTES))
    const k = Point.Fn.create(bytesToNumberLE(sha512.create().update(r).update(publicKey).update(message).digest()))
    // R' = [S]B − [k]A; the rule holds when R' encodes to exactly the signature's R.
    const rCheck = Point.BASE.multiplyUnsafe(s).subtract(A.multiplyUnsafe(k))
    return equalBytes(rCheck.toBytes(), r)
  } catch {
    return false
  }
}
