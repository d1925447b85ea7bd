/**
 * Sender keys (as Signal's SenderKey; docs/decisions/0013): one chain per member device of a
 * group. The owner derives one message key per message from its chain key (KDF_CK of the Double
 * Ratchet, HMAC-SHA256 with 0x01/0x02), encrypts once (encrypt-then-MAC, key-committing) and
 * signs the whole message with the chain's Ed25519 key; every other member holds the chain key
 * and the public signature key, received over a pairwise session. A receiver checks the
 * signature before any chain step (a forged iteration costs one signature check), refuses a
 * jump of more than `MAX_FORWARD_JUMPS`, keeps at most `MAX_MESSAGE_KEYS` skipped keys (oldest
 * evicted), and refuses a replay (`DuplicateMessageError`); a failed decrypt leaves the state as
 * it was. Rotation is a new chain (`createSenderKey`) distributed to the remaining members.
 *
 * Used by the client's `senderKeys` GroupProtocol (docs/groups.md, decision 0014): the client
 * keeps the chains, distributes them over pairwise sessions and decides when to rotate; this
 * file is only the chain (bytes in, bytes out, no I/O).
 */
import { BadMacError, DuplicateMessageError, InvalidSignatureError, MissingSessionError, TooFarAheadError, fromBase64, toBase64 } from '@parley/protocol'
import { concat, u32be, utf8 } from '../_bytes.js'
import { etmOpen, etmSealWithPrefix, AEAD_TAG_BYTES } from '../aead.js'
import { MAX_FORWARD_JUMPS, MAX_MESSAGE_KEYS } from '../constants.js'
import { generateEd25519KeyPair, sign, verify } from '../identity.js'
import { nobleSymmetric } from '../provider/_noble-symmetric.js'
import { systemRandom, type RandomSource } from '../random.js'
import type { CryptoProvider } from '../provider/provider.js'
import { kdfChain, messageKeys } from '../ratchet/chain-key.js'

/** Largest forward jump in one sender chain (as the pairwise ratchet's `MAX_FORWARD_JUMPS`). */
export const SENDER_KEY_MAX_SKIP = MAX_FORWARD_JUMPS
/** Most skipped message keys a receiver keeps per sender chain, oldest evicted (as `MAX_MESSAGE_KEYS`). */
export const SENDER_KEY_MAX_STORED_KEYS = MAX_MESSAGE_KEYS

/** Wire version of a sender-key message (first byte). */
export const SENDER_KEY_MESSAGE_VERSION = 1
const HEADER_BYTES = 9
const SIGNATURE_BYTES = 64
const DOMAIN = utf8('parley/sender-key/v1\n')

/** One sender chain, as its owner (with `signingSecret`) or a receiver holds it. */
export interface SenderKeyState {
  keyId: number
  /** Index of the next message key of the chain. */
  iteration: number
  chainKey: string
  signingKey: string
  signingSecret?: string
  /** Message keys skipped over, `[iteration, key]`, oldest first. */
  skipped: [number, string][]
}

/** What the owner sends each member over a pairwise session: everything but the signing secret. */
export type SenderKeyDistribution = Pick<SenderKeyState, 'keyId' | 'iteration' | 'chainKey' | 'signingKey'>

/** A new chain for this device (on joining, and on every rotation). */
export function createSenderKey(random: RandomSource = systemRandom): SenderKeyState {
  const id = random(4)
  const signing = generateEd25519KeyPair(random)
  return {
    keyId: ((id[0]! << 24) | (id[1]! << 16) | (id[2]! << 8) | id[3]!) >>> 0, iteration: 0, chainKey: toBase64(random(32)),
    signingKey: signing.publicKey, signingSecret: signing.secretKey, skipped: [],
  }
}

/** The distribution message of a chain (its current position). */
export function senderKeyDistribution(s: SenderKeyState): SenderKeyDistribution {
  return { keyId: s.keyId, iteration: s.iteration, chainKey: s.chainKey, signingKey: s.signingKey }
}

/** A receiver's state from a distribution message. */
export function senderKeyFromDistribution(d: SenderKeyDistribution): SenderKeyState {
  return { keyId: d.keyId, iteration: d.iteration, chainKey: d.chainKey, signingKey: d.signingKey, skipped: [] }
}

/**
 * A receiver's chain moved past its next message without keeping that message's key (one
 * `kdfChain` step, the key dropped): for a chain installed from the distribution of a message
 * deleted for everyone, so that message can never be opened here, whoever re-delivers it.
 */
export function senderKeyDiscardNext(s: SenderKeyState): SenderKeyState {
  const step = kdfChain(fromBase64(s.chainKey), nobleSymmetric)
  return { ...s, iteration: s.iteration + 1, chainKey: toBase64(step.chainKey) }
}

/**
 * The context every sender-key message is bound to (its signature and MAC): the group and the
 * sending device, so a hostile server can neither move a message to another group nor relabel
 * its sender.
 * @example senderKeyAd('g_1', { userId: 'alice', deviceId: 'd1' })
 */
export function senderKeyAd(conversationId: string, sender: { userId: string; deviceId: string }): Uint8Array {
  return utf8(`${conversationId}\n${sender.userId}\n${sender.deviceId}`)
}

/** The chain id (`keyId`) a sender-key message names, without verifying it; null when malformed. */
export function senderKeyMessageId(message: Uint8Array): number | null {
  if (message.length < HEADER_BYTES || message[0] !== SENDER_KEY_MESSAGE_VERSION) return null
  return new DataView(message.buffer, message.byteOffset, message.length).getUint32(1)
}

const header = (keyId: number, iteration: number) => concat(Uint8Array.of(SENDER_KEY_MESSAGE_VERSION), u32be(keyId), u32be(iteration))

/**
 * Encrypts and signs one message on the owner's chain; `ad` binds the context (group, sender
 * device). Returns the advanced state and the message.
 * @throws {TypeError} when the state is not an owner's (no signing secret).
 */
export function senderKeyEncrypt(s: SenderKeyState, plaintext: Uint8Array, ad: Uint8Array): { state: SenderKeyState; message: Uint8Array } {
  const step = sealStep(s, plaintext, ad)
  const signature = fromBase64(sign(s.signingSecret!, step.signed))
  return { state: step.state, message: concat(step.body, signature) }
}

/**
 * {@link senderKeyEncrypt} with the signature made by `provider` (a native Ed25519 where the
 * runtime has one: the signature dominates a sender-key send's cost). Same bytes: Ed25519 is
 * deterministic.
 * @throws {TypeError} when the state is not an owner's (no signing secret).
 */
export async function senderKeyEncryptWith(provider: Pick<CryptoProvider, 'ed25519Sign'>, s: SenderKeyState, plaintext: Uint8Array, ad: Uint8Array): Promise<{ state: SenderKeyState; message: Uint8Array }> {
  const step = sealStep(s, plaintext, ad)
  const signature = await provider.ed25519Sign(fromBase64(s.signingSecret!), step.signed)
  return { state: step.state, message: concat(step.body, signature) }
}

/** One chain step: the sealed body (header + ciphertext), what gets signed, and the advanced state. */
function sealStep(s: SenderKeyState, plaintext: Uint8Array, ad: Uint8Array): { state: SenderKeyState; body: Uint8Array; signed: Uint8Array } {
  if (!s.signingSecret) throw new TypeError('"state" expected an owner\'s sender key (with signingSecret)')
  const step = kdfChain(fromBase64(s.chainKey), nobleSymmetric)
  const h = header(s.keyId, s.iteration)
  const keys = messageKeys(step.messageKey, nobleSymmetric)
  const body = etmSealWithPrefix(keys, keys.nonce, plaintext, concat(DOMAIN, ad, h), h)
  return { state: { ...s, iteration: s.iteration + 1, chainKey: toBase64(step.chainKey) }, body, signed: concat(DOMAIN, ad, body) }
}

/**
 * Verifies and decrypts one message of a chain this device holds.
 * @throws {MissingSessionError} another chain (`keyId`). @throws {InvalidSignatureError} the signature fails.
 * @throws {DuplicateMessageError} an iteration already used. @throws {TooFarAheadError} beyond `MAX_FORWARD_JUMPS`.
 * @throws {BadMacError} malformed, or the ciphertext does not open. On any throw the state is unchanged.
 */
export function senderKeyDecrypt(s: SenderKeyState, message: Uint8Array, ad: Uint8Array): { state: SenderKeyState; plaintext: Uint8Array } {
  if (message.length < HEADER_BYTES + AEAD_TAG_BYTES + SIGNATURE_BYTES || message[0] !== SENDER_KEY_MESSAGE_VERSION) throw new BadMacError('malformed sender-key message')
  const view = new DataView(message.buffer, message.byteOffset, message.length)
  const keyId = view.getUint32(1)
  const iteration = view.getUint32(5)
  if (keyId !== s.keyId) throw new MissingSessionError('no sender key with this id', {})
  const body = message.subarray(0, message.length - SIGNATURE_BYTES)
  if (!verify(s.signingKey, concat(DOMAIN, ad, body), toBase64(message.subarray(message.length - SIGNATURE_BYTES)))) {
    throw new InvalidSignatureError('sender-key message signature does not verify', { what: 'sender_key' })
  }
  const sealed = body.subarray(HEADER_BYTES)
  const aad = concat(DOMAIN, ad, body.subarray(0, HEADER_BYTES))
  if (iteration < s.iteration) {
    const at = s.skipped.findIndex(([i]) => i === iteration)
    if (at < 0) throw new DuplicateMessageError()
    const keys = messageKeys(fromBase64(s.skipped[at]![1]), nobleSymmetric)
    const plaintext = etmOpen(keys, keys.nonce, sealed, aad, nobleSymmetric)
    return { state: { ...s, skipped: s.skipped.filter((_, i) => i !== at) }, plaintext }
  }
  const jump = iteration - s.iteration
  if (jump > SENDER_KEY_MAX_SKIP) throw new TooFarAheadError(`sender-key message ${jump} ahead of its chain`, { jump, limit: SENDER_KEY_MAX_SKIP })
  let chainKey = fromBase64(s.chainKey)
  const skipped = [...s.skipped]
  for (let i = s.iteration; i < iteration; i++) {
    const step = kdfChain(chainKey, nobleSymmetric)
    skipped.push([i, toBase64(step.messageKey)])
    chainKey = step.chainKey
  }
  const step = kdfChain(chainKey, nobleSymmetric)
  const keys = messageKeys(step.messageKey, nobleSymmetric)
  const plaintext = etmOpen(keys, keys.nonce, sealed, aad, nobleSymmetric)
  return {
    state: { ...s, iteration: iteration + 1, chainKey: toBase64(step.chainKey), skipped: skipped.slice(Math.max(0, skipped.length - SENDER_KEY_MAX_STORED_KEYS)) },
    plaintext,
  }
}
