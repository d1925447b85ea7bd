/**
 * Session state: a plain, versioned, JSON-safe object (base64 fields) so a client can persist
 * it before it releases a ciphertext. Transitions never mutate their input; they return the
 * next state (Double Ratchet §3.2 names: RK, DHs, CKs, Ns, PN, receiving chains).
 */
import { MissingSessionError } from '@parley/protocol'

/** One receiving chain: the peer's ratchet key, its chain key and next index, skipped keys. */
export interface ReceivingChain {
  ratchetKey: string
  chainKey: string
  n: number
  /** `[index, messageKey]`, oldest first, at most MAX_MESSAGE_KEYS. */
  skipped: [number, string][]
}

/** Our sending side: current ratchet key pair and chain (null chain until the first DH step). */
export interface SendingChain {
  ratchetKey: string
  ratchetSecret: string
  chainKey: string | null
  n: number
}

/** The full session state, version 1. */
export interface SessionStateV1 {
  v: 1
  /** Our X25519 identity key and the peer's. */
  localIdentityKey: string
  remoteIdentityKey: string
  /** PQXDH associated data: Encode(IK_initiator) ‖ Encode(IK_responder). */
  ad: string
  /** The initiator's PQXDH ephemeral key: names the session for repeated prekey messages. */
  baseKey: string
  rootKey: string
  sending: SendingChain
  /** Messages in our previous sending chain (PN). */
  previousCounter: number
  /** Oldest first, at most MAX_RECEIVER_CHAINS. */
  receiving: ReceivingChain[]
  /** Initiator only: the PQXDH header sent with every message until the peer replies. */
  pendingPreKey: string | null
}

/** Opaque to callers; {@link SessionStateV1} inside. */
export type SessionState = { v: 1; [k: string]: unknown }

/**
 * Checks the shape of a stored state.
 * @throws {MissingSessionError} when `state` is not a version-1 session.
 */
export function asStateV1(state: unknown): SessionStateV1 {
  const s = state as Partial<SessionStateV1> | null | undefined
  if (
    !s || typeof s !== 'object' || s.v !== 1 || typeof s.rootKey !== 'string' || typeof s.ad !== 'string' ||
    !s.sending || typeof s.sending !== 'object' || !Array.isArray(s.receiving) || typeof s.remoteIdentityKey !== 'string'
  )
    throw new MissingSessionError('no usable session state')
  return s as SessionStateV1
}

/** Identity key (X25519, base64) of the peer device of a session. */
export function sessionPeerIdentity(state: SessionState): string {
  return asStateV1(state).remoteIdentityKey
}
