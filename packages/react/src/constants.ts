/** Limits and timings of the hooks, each a named constant. */

/** Messages per history page `useMessages` loads (the client allows 1..100). */
export const DEFAULT_PAGE_SIZE = 50
/** A peer's typing indicator expires after this long without a refresh, ms. */
export const TYPING_TTL_MS = 6_000
/** While the user keeps typing, "typing" is re-sent at most this often, ms. */
export const TYPING_RESEND_MS = 3_000
/** After this long without a keystroke, "stopped typing" is sent, ms. */
export const TYPING_IDLE_MS = 4_000
/** Error events kept per conversation (oldest dropped first). */
export const MAX_KEPT_ERRORS = 20
