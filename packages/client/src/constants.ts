/**
 * Every client-side limit and timing, declared once (libsignal `consts.rs` style). The
 * protocol's wire limits live in `@parley/protocol`; these are the client's own.
 */

/**
 * Most pages of one safety list (`block.list`, `mute.list`, `request.list`, 500 entries each)
 * read at a connect: a server that never ends a list cannot keep the client reading.
 */
export const MAX_SAFETY_SYNC_PAGES = 100
/** How long a request waits for the server's ack before it fails with `TimeoutError`, in ms. */
export const ACK_TIMEOUT_MS = 15_000
/** A send the server refused with `store_failure` (its database is down or full) is resent after this long. */
export const STORE_RETRY_MS = 1_000
/** A connection the server could not set up (`store_failure`, a timeout) is reopened after this long (jittered up to 2×). */
export const SETUP_RETRY_MS = 1_000
/** How long `createParleyClient` waits for the first registration on a fresh device, in ms. */
export const CONNECT_TIMEOUT_MS = 15_000
/** First reconnect delay, in ms (socket.io doubles it, with jitter, up to the maximum). */
export const RECONNECT_DELAY_MS = 250
/** Longest reconnect delay, in ms. */
export const RECONNECT_DELAY_MAX_MS = 10_000
/**
 * X25519 one-time prekeys generated per batch (first registration and each refill): five
 * times the server's `keys.low` threshold (10), so a fresh device is not asked to refill by
 * its first bundle claims.
 */
export const ONE_TIME_PREKEY_BATCH = 50
/**
 * ML-KEM-768 one-time prekeys generated per batch (each secret is 2.4 KB, so fewer): well
 * above the server's `keys.low` threshold (10) — at the threshold, a fresh device's first
 * bundle claim would trigger a refill.
 */
export const KEM_ONE_TIME_PREKEY_BATCH = 25
/** X25519 one-time prekeys generated per slice (the event loop runs between slices). */
export const PREKEY_SLICE_ONE_TIME = 10
/** ML-KEM one-time prekeys generated per slice (the event loop runs between slices). */
export const PREKEY_SLICE_KEM = 5
/** `keys.low` is answered after this delay, in ms: a burst of bundle claims is refilled once, after the burst. */
export const PREKEY_REFILL_DELAY_MS = 1_000
/** Session resets allowed per peer device per {@link SESSION_RESET_WINDOW_MS}. */
export const MAX_SESSION_RESETS_PER_WINDOW = 5
/** The window of {@link MAX_SESSION_RESETS_PER_WINDOW}, in ms (one hour). */
export const SESSION_RESET_WINDOW_MS = 60 * 60 * 1000
/** Previous session states kept per peer device (to decrypt across a simultaneous-initiation race). */
export const MAX_PREVIOUS_SESSIONS = 4
/**
 * Default age at which the signed X25519 prekey and the last-resort ML-KEM prekey are
 * replaced (option `preKeyRotation.intervalMs`): 7 days. Signal rotates its signed prekey
 * every few days to weeks; a week bounds how long one signed prekey (and the replay-id list
 * kept for it) lives while costing one upload a week.
 */
export const DEFAULT_PREKEY_ROTATION_MS = 7 * 24 * 60 * 60 * 1000
/**
 * Default time a replaced signed / last-resort prekey's secrets are kept before deletion
 * (option `preKeyRotation.graceMs`): 14 days, for initial messages from peers that fetched
 * the old bundle and for deliveries queued while this device was away (the grace starts when
 * the replacement is made, after catch-up). After it, an initial message on that prekey —
 * honest but late, or a replay — fails with `missing_session`: the secret is gone.
 */
export const DEFAULT_PREKEY_GRACE_MS = 14 * 24 * 60 * 60 * 1000
/** How often a running client checks whether its prekeys are due for rotation or deletion, in ms. */
export const PREKEY_ROTATION_CHECK_MS = 60 * 60 * 1000
/**
 * Initial messages accepted on one signed prekey before it is rotated early. Replay ids are
 * kept for the whole life of their signed prekey (never trimmed), so this bounds that list
 * (about 45 bytes an id) by rotation instead of letting a count evict ids.
 */
export const ROTATE_AFTER_INITIAL_MESSAGES = 5_000

/**
 * Most replaced signed prekeys whose secrets (and replay ids) are kept in their grace period.
 * A flood of initial messages rotates early; past this many, the oldest replaced prekey is
 * deleted before its grace ends (its replays then fail as `missing_session`, as after grace).
 * With the per-prekey cap of {@link ROTATE_AFTER_INITIAL_MESSAGES} this bounds the replay ids
 * a device keeps at (1 + this) × that cap.
 */
export const MAX_RETIRED_SIGNED_PREKEYS = 4
/** Deliveries asked for per `inbox.sync` page during catch-up. */
export const SYNC_PAGE_SIZE = 200
/** Messages in the optimistic in-flight window of the outbox (sends awaiting their ack). */
export const MAX_IN_FLIGHT = 256
/** Most queued sends built (encrypted) in one crypto-lock turn and written with one `saveChanges`. */
export const OUTBOX_BATCH = 64
/** Most deliveries processed in one crypto-lock turn and written with one `saveChanges`. */
export const INBOX_BATCH = 64
/** Delay before an `inbox.ack` goes out, so a burst of deliveries is acked once, in ms. */
export const INBOX_ACK_DELAY_MS = 20
/** E2EE payload format version (inside the ciphertext). */
export const PAYLOAD_VERSION = 1
/** Default and largest page of `conversation.history()`. */
export const DEFAULT_HISTORY_LIMIT = 50
/**
 * ML-KEM last-resort prekey ids start above this, so they never meet one-time ids (one id
 * space). Defined by `@parley/crypto`, which derives "last resort" from the id on both sides.
 */
export { KEM_LAST_RESORT_ID_BASE } from '@parley/crypto'
/** A server `goodbye` explains a disconnect only if it came this recently before it, ms. */
export const GOODBYE_VALID_MS = 5_000
