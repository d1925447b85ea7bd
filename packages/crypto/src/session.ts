/**
 * Sessions: PQXDH to start, the Double Ratchet for every message. All functions are pure:
 * they return a new state and never mutate the one passed in, so a failed decrypt leaves the
 * caller's state exactly as it was. Ciphertexts are base64.
 */
import { BadMacError, MissingSessionError, ReplayedMessageError, type DeviceBundle } from '@parley/protocol'
import { abytes } from './_assert.js'
import { fromBase64, toBase64 } from './_bytes.js'
import { MAX_SEEN_INITIAL_MESSAGES } from './constants.js'
import type { DeviceIdentity } from './identity.js'
import { decodePreKeyMessage, initialMessageId } from './pqxdh/initial-message.js'
import { pqxdhInitiate } from './pqxdh/initiate.js'
import { pqxdhRespond } from './pqxdh/respond.js'
import { isKemLastResortId, type PreKeySecrets } from './prekeys.js'
import { nobleProvider } from './provider/noble.js'
import type { CryptoProvider } from './provider/provider.js'
import { systemRandom, type RandomSource } from './random.js'
import { ratchetDecrypt } from './ratchet/decrypt.js'
import { ratchetEncrypt } from './ratchet/encrypt.js'
import { checkContext, decodeMessage, type MessageContext, type MessageType } from './ratchet/message.js'
import { asState, type SessionState } from './ratchet/state.js'

/** Which prekeys a decrypted initial message consumed (the caller deletes one-time keys). */
export interface UsedPreKeys {
  /** The signed prekey a fresh responder session used (the caller files the replay id under it). */
  signedPreKey?: number
  oneTime?: number
  kem?: number
  /** Derived from the KEM prekey id ({@link isKemLastResortId}), never from the message. */
  kemIsLastResort?: boolean
}

/**
 * Starts a session with a peer device from its bundle (PQXDH initiator).
 * @throws {InvalidSignatureError} a prekey signature fails (checked before any DH).
 * @throws {InvalidFrameError} the bundle is malformed.
 * @example
 * const state = await initiateSession({ ours: alice, theirs: bobBundle })
 * const { state: next, type, ciphertext } = await encryptMessage({ state, plaintext, context })
 */
export async function initiateSession(args: {
  ours: DeviceIdentity; theirs: DeviceBundle; provider?: CryptoProvider; random?: RandomSource
}): Promise<SessionState> {
  return (await pqxdhInitiate(args.ours, args.theirs, args.provider ?? nobleProvider, args.random ?? systemRandom)) as unknown as SessionState
}

/**
 * Encrypts one message. `type` is `'prekey'` until the peer has replied (the PQXDH header
 * travels with each message), then `'message'`. Persist `state` before releasing `ciphertext`.
 * @throws {MissingSessionError} the state cannot send (a responder before its first message).
 * @throws {TypeError|RangeError} malformed arguments.
 */
export async function encryptMessage(args: {
  state: SessionState; plaintext: Uint8Array; context: MessageContext; provider?: CryptoProvider
}): Promise<{ state: SessionState; type: MessageType; ciphertext: string }> {
  const s = asState(args.state)
  abytes(args.plaintext, 'plaintext')
  checkContext(args.context)
  const header = s.pendingPreKey === null ? null : fromBase64(s.pendingPreKey)
  const type: MessageType = header ? 'prekey' : 'message'
  const { state, message } = ratchetEncrypt(s, args.plaintext, args.context, type, header, args.provider ?? nobleProvider)
  return { state: state as unknown as SessionState, type, ciphertext: toBase64(message) }
}

/**
 * True when a `'prekey'` ciphertext continues `state` (same initiator base key and identity):
 * `decryptMessage` then decrypts it in that session; otherwise it would run the PQXDH
 * responder. Lets a caller holding several states run the responder at most once per message.
 * False for anything unparsable.
 */
export function continuesSession(state: SessionState, ciphertext: string): boolean {
  try {
    const s = asState(state)
    const { header } = decodePreKeyMessage(decodeCiphertext(ciphertext))
    return s.baseKey === toBase64(header.baseKey) && s.remoteIdentityKey === toBase64(header.identityKey)
  } catch {
    return false
  }
}

function decodeCiphertext(text: string): Uint8Array {
  try {
    return fromBase64(text)
  } catch {
    throw new BadMacError('ciphertext is not base64')
  }
}

/**
 * Decrypts one message. For a `'prekey'` message with no matching session, runs the PQXDH
 * responder; `usedPreKeys` names the one-time keys to delete and `seenInitialMessages` (pass
 * the list you keep, store the returned one) rejects replays. A fresh responder session also
 * returns its `initialMessageId` and `usedPreKeys.signedPreKey`, so a caller can keep replay
 * ids per signed prekey for as long as that prekey's secret exists (the returned list is
 * capped at MAX_SEEN_INITIAL_MESSAGES; a caller keeping ids by prekey ignores it). On throw
 * nothing changed.
 * @throws {MissingSessionError} no session for a `'message'`, or an unknown signed prekey.
 * @throws {BadMacError} authentication failed (forged, altered, wrong context, substituted KEM
 *   ciphertext). A forged header fails on its header MAC before any chain step: at most one
 *   DH, one KDF_RK and one HMAC of work (plus the PQXDH responder for a new prekey message).
 * @throws {TooFarAheadError} an authenticated header more than MAX_FORWARD_JUMPS ahead in its chain.
 * @throws {DuplicateMessageError} already decrypted (or its skipped key was evicted).
 * @throws {ReplayedMessageError} replayed initial message or consumed one-time prekey.
 */
export async function decryptMessage(args: {
  state?: SessionState | null; ours: DeviceIdentity; preKeys: PreKeySecrets; type: MessageType; ciphertext: string
  context: MessageContext; provider?: CryptoProvider; seenInitialMessages?: string[]; random?: RandomSource
}): Promise<{ state: SessionState; plaintext: Uint8Array; usedPreKeys: UsedPreKeys; seenInitialMessages: string[]; initialMessageId?: string }> {
  const provider = args.provider ?? nobleProvider
  const random = args.random ?? systemRandom
  const seen = args.seenInitialMessages ?? []
  checkContext(args.context)
  if (typeof args.ciphertext !== 'string') throw new TypeError('"ciphertext" expected string')
  const bytes = decodeCiphertext(args.ciphertext)
  const existing = args.state == null ? null : asState(args.state)

  if (args.type === 'message') {
    if (!existing) throw new MissingSessionError('no session for this device')
    const r = await ratchetDecrypt(existing, decodeMessage(bytes), args.context, 'message', null, provider, random)
    return { state: r.state as unknown as SessionState, plaintext: r.plaintext, usedPreKeys: {}, seenInitialMessages: seen }
  }
  if (args.type !== 'prekey') throw new TypeError('"type" expected "prekey" or "message"')

  const { header, headerBytes, inner } = decodePreKeyMessage(bytes)
  const message = decodeMessage(inner)
  // A repeated prekey message of the session we already have (the peer has not seen a reply).
  if (existing && existing.baseKey === toBase64(header.baseKey) && existing.remoteIdentityKey === toBase64(header.identityKey)) {
    const r = await ratchetDecrypt(existing, message, args.context, 'prekey', headerBytes, provider, random)
    return { state: r.state as unknown as SessionState, plaintext: r.plaintext, usedPreKeys: {}, seenInitialMessages: seen }
  }
  const id = toBase64(initialMessageId(headerBytes))
  if (seen.includes(id)) throw new ReplayedMessageError('initial message replayed')
  const { state: fresh, ratchetDh } = await pqxdhRespond(args.ours, args.preKeys, header, provider, message.ratchetKey)
  const r = await ratchetDecrypt(fresh, message, args.context, 'prekey', headerBytes, provider, random, ratchetDh)
  const nextSeen = seen.concat(id)
  return {
    state: r.state as unknown as SessionState,
    plaintext: r.plaintext,
    usedPreKeys: { signedPreKey: header.signedPreKeyId, oneTime: header.oneTimePreKeyId, kem: header.kemPreKeyId, kemIsLastResort: isKemLastResortId(header.kemPreKeyId) },
    initialMessageId: id,
    seenInitialMessages: nextSeen.length > MAX_SEEN_INITIAL_MESSAGES ? nextSeen.slice(nextSeen.length - MAX_SEEN_INITIAL_MESSAGES) : nextSeen,
  }
}
