/**
 * Demo authentication: the socket.io handshake token is the user name. Anyone can sign in as
 * anyone — fine on a laptop, never in production, where `authenticate` checks a session or
 * a JWT and returns the user id it proves.
 */
import { UnauthorizedError } from '@parley/protocol'

/** Demo user names: 1–32 letters, digits, `_` or `-`, starting with a letter or digit. */
export const DEMO_USER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/

/** Users the sign-in screen suggests. Any name matching {@link DEMO_USER_PATTERN} works. */
export const DEMO_USERS = ['alice', 'bob', 'carol'] as const

/** Normalises a typed name to a user id (trimmed, lowercase), or null when it is not valid. */
export function demoUserId(name: unknown): string | null {
  if (typeof name !== 'string') return null
  const id = name.trim().toLowerCase()
  return DEMO_USER_PATTERN.test(id) ? id : null
}

/**
 * The `authenticate` hook of `createParleyServer`: `handshake.auth.token` is the user name.
 * @throws {UnauthorizedError} when the token is not a valid demo user name.
 */
export function demoAuthenticate(handshake: { auth: Record<string, unknown> }): { userId: string } {
  const userId = demoUserId(handshake.auth?.token)
  if (userId === null || userId !== handshake.auth.token) {
    throw new UnauthorizedError('sign in with a demo user name (lowercase letters, digits, _ or -)')
  }
  return { userId }
}
