/**
 * The operator's sign-in: one operator token (from `PARLEY_OPERATOR_TOKEN`, or generated and
 * printed at start), compared in constant time; a correct token opens a session held in
 * memory and named by an HttpOnly, SameSite=Strict cookie scoped to `/operator`. A restart
 * signs the operator out. Wrong tokens are throttled per client address (`login-throttle.ts`);
 * the right one always gets in.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { LoginThrottle } from './login-throttle.js'

/** Name of the session cookie. */
export const OPERATOR_COOKIE = 'parley_operator'
/** How long an operator session lasts, ms. */
export const OPERATOR_SESSION_MS = 8 * 60 * 60 * 1000
/** Sessions kept at most (the oldest is dropped first). */
export const MAX_OPERATOR_SESSIONS = 50
/** Shortest operator token accepted from the environment, characters. */
export const MIN_OPERATOR_TOKEN_LENGTH = 16
/** Path the session cookie is sent on: the console's pages, API and event stream, nothing else. */
export const OPERATOR_COOKIE_PATH = '/operator'

/** A random operator token (32 bytes, base64url). */
export function generateOperatorToken(): string {
  return randomBytes(32).toString('base64url')
}

/**
 * True when `given` is the operator token. Both sides are hashed first, so the comparison
 * takes the same time whatever the length or content of `given`.
 */
export function operatorTokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false
  const a = createHash('sha256').update(expected).digest()
  const b = createHash('sha256').update(given).digest()
  return timingSafeEqual(a, b)
}

/** The value of cookie `name` in a `Cookie` header, if any. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** The `Set-Cookie` value for a session id (an empty id with Max-Age=0 clears it). */
export function sessionCookie(id: string, maxAgeMs = OPERATOR_SESSION_MS): string {
  // No `Secure`: the demo serves plain http on localhost. Behind TLS, add it.
  return `${OPERATOR_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=${OPERATOR_COOKIE_PATH}; Max-Age=${Math.floor(maxAgeMs / 1000)}`
}

/** Operator sessions and the login throttle. */
export class OperatorSessions {
  private readonly sessions = new Map<string, number>()
  private readonly throttle: LoginThrottle

  constructor(private readonly token: string, private readonly now: () => number = Date.now) {
    this.throttle = new LoginThrottle(now)
  }

  /**
   * Checks a login attempt from `address` (the client's IP): a new session id when `given` is
   * the token — always, however many wrong tokens anyone sent — `null` when not, `'throttled'`
   * when it is wrong and this address sent too many wrong ones lately (it waits longer each time).
   */
  login(given: unknown, address: string): string | null | 'throttled' {
    if (!operatorTokenMatches(this.token, given)) {
      if (this.throttle.blocked(address)) return 'throttled'
      this.throttle.fail(address)
      return null
    }
    const id = randomBytes(32).toString('base64url')
    this.sessions.set(id, this.now() + OPERATOR_SESSION_MS)
    while (this.sessions.size > MAX_OPERATOR_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!)
    return id
  }

  /** The live session the request's cookie names, or `null`. */
  session(cookieHeader: string | undefined): string | null {
    const id = cookieValue(cookieHeader, OPERATOR_COOKIE)
    if (!id) return null
    return this.live(id) ? id : null
  }

  /** True when the request's cookie names a live session. */
  valid(cookieHeader: string | undefined): boolean {
    return this.session(cookieHeader) !== null
  }

  /** True while session `id` exists and has not expired (an expired one is dropped). */
  live(id: string): boolean {
    const expires = this.sessions.get(id)
    if (expires === undefined) return false
    if (expires <= this.now()) {
      this.sessions.delete(id)
      return false
    }
    return true
  }

  /** When session `id` expires (ms since the epoch), or `null` when it is not live. */
  expiresAt(id: string): number | null {
    return this.live(id) ? this.sessions.get(id)! : null
  }

  /** Ends the session the cookie names; returns its id, or `null` when it names no live session. */
  logout(cookieHeader: string | undefined): string | null {
    const id = this.session(cookieHeader)
    if (id) this.sessions.delete(id)
    return id
  }
}
