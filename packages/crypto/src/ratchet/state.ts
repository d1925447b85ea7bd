/**
 * Session state: a plain, versioned, JSON-safe object (base64 fields) so a client can persist
 * it before it releases a ciphertext. Transitions never mutate their input; they return the
 * next state (Double Ratchet §3.2 names: RK, DHs, CKs, Ns, PN, receiving chains).
 */
import { MissingSessionError } from '@parley/protocol'

/**
 * One receiving chain: the peer's ratchet key, its chain key and next index, its header key
 * (checks each message's header MAC before the chain is stepped), skipped keys.
 */
export interface ReceivingChain {
  ratchetKey: string
  chainKey: string
  headerKey: string
  n: number
  /** `[index, messageKey]`, oldest first, at most MAX_MESSAGE_KEYS. */
  skipped: [number, string][]
}

/**
 * Our sending side: current ratchet key pair, chain and the chain's header key (null chain and
 * header key until the first DH step).
 */
export interface SendingChain {
  ratchetKey: string
  ratchetSecret: string
  chainKey: string | null
  headerKey: string | null
  n: number
}

/** The full session state, version 2 (version 1 had no header keys; it is not read). */
export interface SessionStateV2 {
  v: 2
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

/** Opaque to callers; {@link SessionStateV2} inside. */
export type SessionState = { v: 2; [k: string]: unknown }

/**
 * Checks the shape of a stored state.
 * @throws {MissingSessionError} when `state` is not a version-2 session (a version-1 state,
 *   from before the header MAC, cannot speak the current wire format: start a new session).
 */
export function asState(state: unknown): SessionStateV2 {
  const s = state as Partial<SessionStateV2> | null | undefined
  if (
    !s || typeof s !== 'object' || s.v !== 2 || typeof s.rootKey !== 'string' || typeof s.ad !== 'string' ||
    !s.sending || typeof s.sending !== 'object' || !Array.isArray(s.receiving) || typeof s.remoteIdentityKey !== 'string'
  )
    throw new MissingSessionError('no usable session state')
  return s as SessionStateV2
}

/** Identity key (X25519, base64) of the peer device of a session. */
export function sessionPeerIdentity(state: SessionState): string {
  return asState(state).remoteIdentityKey
}
