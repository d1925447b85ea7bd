/**
 * The operator sign-in's throttle on wrong tokens, per client address with exponential backoff.
 * It never stands between the operator and the right token (checked first, in
 * `operator-auth.ts`): the token is at least 16 characters (generated: 256 bits), so guessing
 * is hopeless anyway, and a global counter would let anyone lock the operator out by sending
 * wrong tokens. What it does is make one address that keeps guessing wait longer and longer.
 */

/** Wrong tokens one address may send before it has to wait. */
export const LOGIN_FREE_FAILURES = 5
/** The first wait after the free failures, ms; each further wrong token doubles it. */
export const LOGIN_BACKOFF_BASE_MS = 1_000
/** The longest wait, ms. */
export const LOGIN_BACKOFF_MAX_MS = 15 * 60 * 1000
/** An address that sent no wrong token for this long starts afresh, ms. */
export const LOGIN_FAILURE_MEMORY_MS = 60 * 60 * 1000
/** Addresses remembered at most (the least recently failing is forgotten first). */
export const MAX_THROTTLED_ADDRESSES = 10_000

interface Failures {
  count: number
  last: number
  blockedUntil: number
}

/** Wrong-token counts by client address. */
export class LoginThrottle {
  private readonly byAddress = new Map<string, Failures>()

  constructor(private readonly now: () => number = Date.now) {}

  /** True while `address` must wait before its next wrong token is even answered. */
  blocked(address: string): boolean {
    const f = this.current(address)
    return f !== undefined && this.now() < f.blockedUntil
  }

  /** Counts a wrong token from `address`; past the free ones, it waits twice as long as last time. */
  fail(address: string): void {
    const t = this.now()
    const f = this.current(address) ?? { count: 0, last: t, blockedUntil: 0 }
    f.count++
    f.last = t
    if (f.count >= LOGIN_FREE_FAILURES) {
      const wait = Math.min(LOGIN_BACKOFF_BASE_MS * 2 ** Math.min(f.count - LOGIN_FREE_FAILURES, 30), LOGIN_BACKOFF_MAX_MS)
      f.blockedUntil = t + wait
    }
    // Re-insert so the map stays ordered by last failure, oldest first.
    this.byAddress.delete(address)
    this.byAddress.set(address, f)
    while (this.byAddress.size > MAX_THROTTLED_ADDRESSES) this.byAddress.delete(this.byAddress.keys().next().value!)
  }

  /** How many addresses are remembered (for tests). */
  get size(): number {
    return this.byAddress.size
  }

  private current(address: string): Failures | undefined {
    const f = this.byAddress.get(address)
    if (f && this.now() - f.last >= LOGIN_FAILURE_MEMORY_MS) {
      this.byAddress.delete(address)
      return undefined
    }
    return f
  }
}
