/**
 * The operator's sign-in: one operator token (from `PARLEY_OPERATOR_TOKEN`, or generated and
 * printed at start), compared in constant time; a correct token opens a session held in
 * memory and named by an HttpOnly, SameSite=Strict cookie. A restart signs the operator out.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Name of the session cookie. */
export const OPERATOR_COOKIE = 'parley_operator'
/** How long an operator session lasts, ms. */
export const OPERATOR_SESSION_MS = 8 * 60 * 60 * 1000
/** Sessions kept at most (the oldest is dropped first). */
export const MAX_OPERATOR_SESSIONS = 50
/** Shortest operator token accepted from the environment, characters. */
export const MIN_OPERATOR_TOKEN_LENGTH = 16
/** Wrong tokens accepted per minute, across all clients; more are refused until it passes. */
export const MAX_LOGIN_FAILURES_PER_MINUTE = 10

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
  return `${OPERATOR_COOKIE}=${id}; HttpOnly; SameSite=Strict; Path=/; Max-Age=${Math.floor(maxAgeMs / 1000)}`
}

/** Operator sessions and the login throttle. */
export class OperatorSessions {
  private readonly sessions = new Map<string, number>()
  private failures: number[] = []

  constructor(private readonly token: string, private readonly now: () => number = Date.now) {}

  /**
   * Checks a login attempt: a new session id when `given` is the token, `null` when not,
   * `'throttled'` after too many wrong tokens in the last minute.
   */
  login(given: unknown): string | null | 'throttled' {
    const t = this.now()
    this.failures = this.failures.filter((f) => t - f < 60_000)
    if (this.failures.length >= MAX_LOGIN_FAILURES_PER_MINUTE) return 'throttled'
    if (!operatorTokenMatches(this.token, given)) {
      this.failures.push(t)
      return null
    }
    const id = randomBytes(32).toString('base64url')
    this.sessions.set(id, t + OPERATOR_SESSION_MS)
    while (this.sessions.size > MAX_OPERATOR_SESSIONS) this.sessions.delete(this.sessions.keys().next().value!)
    return id
  }

  /** True when the request's cookie names a live session. */
  valid(cookieHeader: string | undefined): boolean {
    const id = cookieValue(cookieHeader, OPERATOR_COOKIE)
    if (!id) return false
    const expires = this.sessions.get(id)
    if (expires === undefined) return false
    if (expires <= this.now()) {
      this.sessions.delete(id)
      return false
    }
    return true
  }

  logout(cookieHeader: string | undefined): void {
    const id = cookieValue(cookieHeader, OPERATOR_COOKIE)
    if (id) this.sessions.delete(id)
  }
}
