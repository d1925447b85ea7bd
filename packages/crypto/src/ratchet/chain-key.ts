/**
 * Double Ratchet KDFs (Signal Double Ratchet §5.2): KDF_RK is HKDF-SHA256 with the root key
 * as salt and yields, besides the next root key and chain key, the chain's header key (as in
 * the header-encryption variant, §4); KDF_CK is HMAC-SHA256 with constants 0x01 (message key)
 * and 0x02 (next chain key); a message key expands through HKDF into the AEAD's encryption
 * key, MAC key and nonce.
 */
import { type EtmKeys } from '../aead.js'
import { u64be } from '../_bytes.js'
import { hkdfSha256, hmacSha256, label, LABELS } from '../kdf.js'
import type { SymmetricPrimitives } from '../provider/provider.js'

const MESSAGE_KEY_SEED = new Uint8Array([0x01])
const CHAIN_KEY_SEED = new Uint8Array([0x02])

/** KDF_RK(rk, dh_out) → (new root key, chain key, the chain's header key). */
export function kdfRoot(rootKey: Uint8Array, dhOut: Uint8Array, sym: SymmetricPrimitives): { rootKey: Uint8Array; chainKey: Uint8Array; headerKey: Uint8Array } {
  const okm = hkdfSha256(dhOut, rootKey, LABELS.rootKey, 96, sym)
  return { rootKey: okm.slice(0, 32), chainKey: okm.slice(32, 64), headerKey: okm.slice(64, 96) }
}

/** KDF_CK(ck) → (next chain key, message key). */
export function kdfChain(chainKey: Uint8Array, sym: SymmetricPrimitives): { chainKey: Uint8Array; messageKey: Uint8Array } {
  return { chainKey: hmacSha256(chainKey, CHAIN_KEY_SEED, sym), messageKey: hmacSha256(chainKey, MESSAGE_KEY_SEED, sym) }
}

/** AEAD keys and nonce of one message key. */
export function messageKeys(messageKey: Uint8Array, sym: SymmetricPrimitives): EtmKeys & { nonce: Uint8Array } {
  const okm = hkdfSha256(messageKey, undefined, LABELS.messageKeys, 88, sym)
  return { encKey: okm.subarray(0, 32), macKey: okm.subarray(32, 64), nonce: okm.subarray(64, 88) }
}

/**
 * The header MAC of a ratchet message: HMAC-SHA256 under the chain's header key over
 * `label ‖ u64(len ad) ‖ ad ‖ body`, where `ad` is the message AD (which ends with the ratchet
 * header, so PN and N are covered) and `body` is `ciphertext ‖ tag`. One HMAC, keyed by a key
 * the recipient holds without stepping the chain: it authenticates the header, and the whole
 * message, before any chain step. Streamed into the MAC (no copy of the body).
 */
export function headerMac(headerKey: Uint8Array, ad: Uint8Array, body: Uint8Array, sym: SymmetricPrimitives): Uint8Array {
  return sym.hmacSha256(headerKey, label(LABELS.headerMac), u64be(ad.length), ad, body)
}

/**
 * Advances a chain from index `from` to `to` (exclusive), returning the chain key at `to` and
 * the skipped message keys worth keeping (only the last `keep` are computed).
 */
export function advanceChain(
  chainKey: Uint8Array, from: number, to: number, keep: number, sym: SymmetricPrimitives,
): { chainKey: Uint8Array; skipped: [number, Uint8Array][] } {
  const skipped: [number, Uint8Array][] = []
  let ck = chainKey
  for (let i = from; i < to; i++) {
    if (i >= to - keep) skipped.push([i, hmacSha256(ck, MESSAGE_KEY_SEED, sym)])
    ck = hmacSha256(ck, CHAIN_KEY_SEED, sym)
  }
  return { chainKey: ck, skipped }
}
