/**
 * RatchetEncrypt (Double Ratchet §3.4): one step of the sending chain, the header, the
 * committing AEAD under the message key, and the header MAC under the chain's header key.
 * Returns the next state; the input is untouched.
 */
import { MissingSessionError } from '@parley/protocol'
import { concat, fromBase64, toBase64 } from '../_bytes.js'
import { etmSealWithPrefix } from '../aead.js'
import { headerMac, kdfChain, messageKeys } from './chain-key.js'
import { encodeHeader, HEADER_MAC_BYTES, messageAd, type MessageContext, type MessageType } from './message.js'
import type { SymmetricPrimitives } from '../provider/provider.js'
import type { SessionStateV2 } from './state.js'

/** Most messages one sending chain may carry (the header's N is a u32). */
export const MAX_CHAIN_LENGTH = 0xffff_ffff

/**
 * Encrypts one message with the sending chain. Returns the framed bytes
 * `[preKeyHeader ‖] header ‖ headerMac ‖ ciphertext ‖ tag` in one buffer (one copy of the ciphertext).
 * @throws {MissingSessionError} when the session cannot send yet (responder before any message).
 */
export function ratchetEncrypt(
  s: SessionStateV2, plaintext: Uint8Array, context: MessageContext, type: MessageType, preKeyHeader: Uint8Array | null,
  sym: SymmetricPrimitives,
): { state: SessionStateV2; message: Uint8Array } {
  const { sending } = s
  if (sending.chainKey === null || sending.headerKey === null) throw new MissingSessionError('session has no sending chain yet')
  if (sending.n >= MAX_CHAIN_LENGTH) throw new MissingSessionError('sending chain exhausted')
  const step = kdfChain(fromBase64(sending.chainKey), sym)
  const header = encodeHeader(fromBase64(sending.ratchetKey), s.previousCounter, sending.n)
  const keys = messageKeys(step.messageKey, sym)
  const ad = messageAd(context, type, fromBase64(s.ad), preKeyHeader, header)
  // The MAC slot is sealed as zeros, then filled in place once `ciphertext ‖ tag` exist.
  const prefix = concat(preKeyHeader ?? new Uint8Array(0), header, new Uint8Array(HEADER_MAC_BYTES))
  const message = etmSealWithPrefix(keys, keys.nonce, plaintext, ad, prefix, sym)
  message.set(headerMac(fromBase64(sending.headerKey), ad, message.subarray(prefix.length), sym), prefix.length - HEADER_MAC_BYTES)
  return { state: { ...s, sending: { ...sending, chainKey: toBase64(step.chainKey), n: sending.n + 1 } }, message }
}
