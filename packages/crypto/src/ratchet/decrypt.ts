/**
 * RatchetDecrypt (Double Ratchet §3.5) with libsignal's bounds and a header MAC checked
 * before any chain step: the work a forged message can cause is one HMAC (a known ratchet
 * key) or one DH, one KDF_RK and one HMAC (a new ratchet key), whatever its PN and N say.
 * Only an authenticated header is then held to MAX_FORWARD_JUMPS and stepped; skipped keys
 * are bounded per chain, receiving chains per session; a used or evicted key reports a
 * duplicate. Pure: a failure throws and the caller keeps its old state.
 */
import { BadMacError, DuplicateMessageError, TooFarAheadError } from '@parley/protocol'
import { equalBytes, fromBase64, toBase64 } from '../_bytes.js'
import { etmOpen } from '../aead.js'
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS, MAX_RECEIVER_CHAINS } from '../constants.js'
import { x25519Exchange } from '../provider/_exchange.js'
import type { CryptoProvider, SymmetricPrimitives, X25519Exchange } from '../provider/provider.js'
import type { RandomSource } from '../random.js'
import { advanceChain, headerMac, kdfChain, kdfRoot, messageKeys } from './chain-key.js'
import { messageAd, type MessageContext, type MessageType, type RatchetMessage } from './message.js'
import { addSkipped, findSkipped, removeSkipped } from './skipped-keys.js'
import type { ReceivingChain, SessionStateV2 } from './state.js'

function open(messageKey: Uint8Array, body: Uint8Array, ad: Uint8Array, sym: SymmetricPrimitives): Uint8Array {
  const keys = messageKeys(messageKey, sym)
  return etmOpen(keys, keys.nonce, body, ad, sym)
}

/** One HMAC: the header (PN, N), AD and body were sent by a holder of this chain's header key. */
function checkHeader(headerKey: Uint8Array, msg: RatchetMessage, ad: Uint8Array, sym: SymmetricPrimitives): void {
  if (!equalBytes(headerMac(headerKey, ad, msg.body, sym), msg.mac)) throw new BadMacError('ratchet header MAC mismatch')
}

function tooFar(jump: number): never {
  throw new TooFarAheadError(`message is ${jump} ahead in its chain (limit ${MAX_FORWARD_JUMPS})`, { jump, limit: MAX_FORWARD_JUMPS })
}

function withChain(s: SessionStateV2, index: number, chain: ReceivingChain): SessionStateV2 {
  const receiving = s.receiving.slice()
  receiving[index] = chain
  return { ...s, receiving, pendingPreKey: null }
}

async function dh(provider: CryptoProvider, secret: Uint8Array, pub: Uint8Array): Promise<Uint8Array> {
  try {
    return await provider.x25519(secret, pub)
  } catch {
    throw new BadMacError('invalid ratchet key')
  }
}

/** Our next ratchet key pair's public key and its DH with the peer's ratchet key. */
async function exchange(provider: CryptoProvider, secret: Uint8Array, pub: Uint8Array): Promise<X25519Exchange> {
  try {
    // Our new ratchet secret is DH'd once more, with the peer's next ratchet key: keep its import.
    return await x25519Exchange(provider, secret, [pub], true, true)
  } catch {
    throw new BadMacError('invalid ratchet key')
  }
}

/**
 * Decrypts one parsed ratchet message against a session. `knownDh`, when given, is
 * DH(s.sending.ratchetSecret, msg.ratchetKey) already computed by the caller (the PQXDH
 * responder computes it with the signed prekey's other DHs).
 * @throws {BadMacError} the header MAC or the message failed authentication (a forged header
 *   fails here before any chain step).
 * @throws {DuplicateMessageError} already decrypted, or its key was evicted.
 * @throws {TooFarAheadError} an authenticated header more than MAX_FORWARD_JUMPS ahead (before any step).
 */
export async function ratchetDecrypt(
  s: SessionStateV2, msg: RatchetMessage, context: MessageContext, type: MessageType, preKeyHeader: Uint8Array | null,
  provider: CryptoProvider, random: RandomSource, knownDh?: Uint8Array,
): Promise<{ state: SessionStateV2; plaintext: Uint8Array }> {
  const ad = messageAd(context, type, fromBase64(s.ad), preKeyHeader, msg.header)
  const ratchetKey = toBase64(msg.ratchetKey)
  const index = s.receiving.findIndex((c) => c.ratchetKey === ratchetKey)

  if (index >= 0) {
    const chain = s.receiving[index]!
    checkHeader(fromBase64(chain.headerKey), msg, ad, provider)
    if (msg.n < chain.n) {
      const pos = findSkipped(chain.skipped, msg.n)
      if (pos < 0) throw new DuplicateMessageError()
      const plaintext = open(fromBase64(chain.skipped[pos]![1]), msg.body, ad, provider)
      return { state: withChain(s, index, { ...chain, skipped: removeSkipped(chain.skipped, pos) }), plaintext }
    }
    if (msg.n - chain.n > MAX_FORWARD_JUMPS) tooFar(msg.n - chain.n)
    const adv = advanceChain(fromBase64(chain.chainKey), chain.n, msg.n, MAX_MESSAGE_KEYS, provider)
    const step = kdfChain(adv.chainKey, provider)
    const plaintext = open(step.messageKey, msg.body, ad, provider)
    const next: ReceivingChain = { ...chain, chainKey: toBase64(step.chainKey), n: msg.n + 1, skipped: addSkipped(chain.skipped, adv.skipped) }
    return { state: withChain(s, index, next), plaintext }
  }

  // A new ratchet key from the peer: a DH ratchet step. One DH and one KDF_RK give the new
  // chain's header key; its MAC covers PN and N, so no chain is stepped for a forgery.
  const r1 = kdfRoot(fromBase64(s.rootKey), knownDh ?? (await dh(provider, fromBase64(s.sending.ratchetSecret), msg.ratchetKey)), provider)
  checkHeader(r1.headerKey, msg, ad, provider)
  const current = s.receiving[s.receiving.length - 1]
  if (current && msg.pn > current.n && msg.pn - current.n > MAX_FORWARD_JUMPS) tooFar(msg.pn - current.n)
  if (msg.n > MAX_FORWARD_JUMPS) tooFar(msg.n)

  let receiving = s.receiving
  if (current && msg.pn > current.n) {
    const adv = advanceChain(fromBase64(current.chainKey), current.n, msg.pn, MAX_MESSAGE_KEYS, provider)
    receiving = receiving.slice(0, -1).concat({ ...current, chainKey: toBase64(adv.chainKey), n: msg.pn, skipped: addSkipped(current.skipped, adv.skipped) })
  }
  const adv = advanceChain(r1.chainKey, 0, msg.n, MAX_MESSAGE_KEYS, provider)
  const step = kdfChain(adv.chainKey, provider)
  // Authenticate before generating our next ratchet key pair.
  const plaintext = open(step.messageKey, msg.body, ad, provider)
  const newChain: ReceivingChain = {
    ratchetKey, chainKey: toBase64(step.chainKey), headerKey: toBase64(r1.headerKey), n: msg.n + 1, skipped: addSkipped([], adv.skipped),
  }
  receiving = receiving.concat(newChain)
  if (receiving.length > MAX_RECEIVER_CHAINS) receiving = receiving.slice(receiving.length - MAX_RECEIVER_CHAINS)

  const secret = random(32)
  const next = await exchange(provider, secret, msg.ratchetKey)
  const pub = next.publicKey!
  const r2 = kdfRoot(r1.rootKey, next.shared[0]!, provider)
  return {
    plaintext,
    state: {
      ...s,
      rootKey: toBase64(r2.rootKey),
      sending: { ratchetKey: toBase64(pub), ratchetSecret: toBase64(secret), chainKey: toBase64(r2.chainKey), headerKey: toBase64(r2.headerKey), n: 0 },
      previousCounter: s.sending.n,
      receiving,
      pendingPreKey: null,
    },
  }
}
