/**
 * The PQXDH key derivation (PQXDH rev. 3 §2.2, §3.3): SK = HKDF-SHA256 with a zero salt over
 * `F ‖ DH1 ‖ DH2 ‖ DH3 [‖ DH4] ‖ SS`, F = 32 0xFF bytes (X25519), and the protocol info
 * string; AD = Encode(IK_A) ‖ Encode(IK_B) with Encode = 0x05 ‖ u-coordinate (as libsignal).
 */
import { concat } from '../_bytes.js'
import { hkdfSha256, LABELS } from '../kdf.js'
import type { SymmetricPrimitives } from '../provider/provider.js'

/** 32 0xFF bytes prefixed to the key material (X25519 curve, PQXDH §2.2). */
export const PQXDH_F = new Uint8Array(32).fill(0xff)
const ZERO_SALT = new Uint8Array(32)
const CURVE25519_TYPE = new Uint8Array([0x05])

/** SK of a PQXDH run. */
export function pqxdhSecret(dhs: Uint8Array[], kemSharedSecret: Uint8Array, sym: SymmetricPrimitives): Uint8Array {
  return hkdfSha256(concat(PQXDH_F, ...dhs, kemSharedSecret), ZERO_SALT, LABELS.pqxdh, 32, sym)
}

/** AD = Encode(IK_A) ‖ Encode(IK_B). */
export function pqxdhAd(initiatorIdentity: Uint8Array, responderIdentity: Uint8Array): Uint8Array {
  return concat(CURVE25519_TYPE, initiatorIdentity, CURVE25519_TYPE, responderIdentity)
}
