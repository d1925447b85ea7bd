/**
 * Fixed DER prefixes that wrap raw key bytes, for platforms that import keys only as
 * PKCS#8 / SPKI: RFC 8410 §7 and §4 for X25519 (OID 1.3.101.110) and Ed25519 (1.3.101.112),
 * and draft-ietf-lamps-kyber-certificates for ML-KEM-768 (OID 2.16.840.1.101.3.4.4.2): the
 * SPKI of a 1,184-byte encapsulation key and the PKCS#8 `expandedKey` choice holding the
 * 2,400-byte decapsulation key Parley stores.
 */
import { concat } from '../_bytes.js'

const hex = (s: string) => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16))

/** PKCS#8 of a 32-byte X25519 private key: SEQ { v0, AlgId { id-X25519 }, OCTET STRING { OCTET STRING (32) } }. */
export const PKCS8_X25519 = hex('302e020100300506032b656e04220420')
/** PKCS#8 of a 32-byte Ed25519 seed. */
export const PKCS8_ED25519 = hex('302e020100300506032b657004220420')
/** SPKI of a 32-byte X25519 public key: SEQ { AlgId { id-X25519 }, BIT STRING (0 unused bits ‖ 32) }. */
export const SPKI_X25519 = hex('302a300506032b656e032100')
/** SPKI of a 32-byte Ed25519 public key. */
export const SPKI_ED25519 = hex('302a300506032b6570032100')
/** SPKI of an ML-KEM-768 encapsulation key: SEQ(1202) { AlgId { id-alg-ml-kem-768 }, BIT STRING (0 ‖ 1184) }. */
export const SPKI_ML_KEM_768 = hex('308204b2300b0609608648016503040402038204a100')
/** PKCS#8 of an ML-KEM-768 decapsulation key, `expandedKey` form: SEQ(2424) { v0, AlgId, OCTET STRING(2404) { OCTET STRING(2400) } }. */
export const PKCS8_ML_KEM_768_EXPANDED = hex('30820978020100300b06096086480165030404020482096404820960')

/** `prefix ‖ key` as a fresh buffer. */
export function wrapKey(prefix: Uint8Array, key: Uint8Array): Uint8Array {
  return concat(prefix, key)
}
