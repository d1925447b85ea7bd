/**
 * Every size and limit of Parley's cryptography, declared once. Ratchet limits follow
 * libsignal's `rust/protocol/src/consts.rs`.
 */

/** Bytes of an X25519 / Ed25519 key. */
export const KEY_BYTES = 32
/** Bytes of an Ed25519 signature. */
export const SIGNATURE_BYTES = 64
/** ML-KEM-768 encapsulation key bytes. */
export const KEM_PUBLIC_KEY_BYTES = 1184
/** ML-KEM-768 decapsulation key bytes. */
export const KEM_SECRET_KEY_BYTES = 2400
/** ML-KEM-768 ciphertext bytes. */
export const KEM_CIPHERTEXT_BYTES = 1088
/** Largest forward jump in one receiving chain (libsignal `MAX_FORWARD_JUMPS`). */
export const MAX_FORWARD_JUMPS = 25_000
/** Most stored skipped message keys per receiving chain, oldest evicted (libsignal `MAX_MESSAGE_KEYS`). */
export const MAX_MESSAGE_KEYS = 2_000
/** Most receiving chains kept per session (libsignal `MAX_RECEIVER_CHAINS`). */
export const MAX_RECEIVER_CHAINS = 5
/** Most initial-message ids `decryptMessage` keeps in `seenInitialMessages` (oldest dropped). */
export const MAX_SEEN_INITIAL_MESSAGES = 10_000
/**
 * ML-KEM prekey ids at or above this are last-resort keys, ids below it one-time keys (one id
 * space). Whether a KEM prekey is last-resort is derived from its id on both sides — never
 * taken from the bundle's unsigned `kemPreKeyIsLastResort` or the initial message's flag.
 */
export const KEM_LAST_RESORT_ID_BASE = 2_000_000_000
/** Most one-time prekeys of each kind generated in one call. */
export const MAX_PREKEY_BATCH = 1_000
/** Most prepared (pre-expanded) last-resort ML-KEM keys a responder process keeps. */
export const MAX_PREPARED_KEM_KEYS = 8
/**
 * Version byte of ratchet and initial-message encodings. 2: every ratchet message carries a
 * header MAC under its chain's header key, checked before any chain step (docs/crypto.md).
 */
export const MESSAGE_VERSION = 2
/** Default encryption mode bound into message AD. */
export const DEFAULT_MODE = 'e2ee'
