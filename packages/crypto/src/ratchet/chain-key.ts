/**
 * Double Ratchet KDFs (Signal Double Ratchet §5.2): KDF_RK is HKDF-SHA256 with the root key
 * as salt; KDF_CK is HMAC-SHA256 with constants 0x01 (message key) and 0x02 (next chain key);
 * a message key expands through HKDF into the AEAD's encryption key, MAC key and nonce.
 */
import { type EtmKeys } from '../aead.js'
import { hkdfSha256, hmacSha256, LABELS } from '../kdf.js'

const MESSAGE_KEY_SEED = new Uint8Array([0x01])
const CHAIN_KEY_SEED = new Uint8Array([0x02])

/** KDF_RK(rk, dh_out) → (new root key, chain key). */
export function kdfRoot(rootKey: Uint8Array, dhOut: Uint8Array): { rootKey: Uint8Array; chainKey: Uint8Array } {
  const okm = hkdfSha256(dhOut, rootKey, LABELS.rootKey, 64)
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64) }
}

/** KDF_CK(ck) → (next chain key, message key). */
export function kdfChain(chainKey: Uint8Array): { chainKey: Uint8Array; messageKey: Uint8Array } {
  return { chainKey: hmacSha256(chainKey, CHAIN_KEY_SEED), messageKey: hmacSha256(chainKey, MESSAGE_KEY_SEED) }
}

/** AEAD keys and nonce of one message key. */
export function messageKeys(messageKey: Uint8Array): EtmKeys & { nonce: Uint8Array } {
  const okm = hkdfSha256(messageKey, undefined, LABELS.messageKeys, 88)
  return { encKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64), nonce: okm.subarray(64, 88) }
}

/**
 * Advances a chain from index `from` to `to` (exclusive), returning the chain key at `to` and
 * the skipped message keys worth keeping (only the last `keep` are computed).
 */
export function advanceChain(chainKey: Uint8Array, from: number, to: number, keep: number): { chainKey: Uint8Array; skipped: [number, Uint8Array][] } {
  const skipped: [number, Uint8Array][] = []
  let ck = chainKey
  for (let i = from; i < to; i++) {
    if (i >= to - keep) skipped.push([i, hmacSha256(ck, MESSAGE_KEY_SEED)])
    ck = hmacSha256(ck, CHAIN_KEY_SEED)
  }
  return { chainKey: ck, skipped }
}
