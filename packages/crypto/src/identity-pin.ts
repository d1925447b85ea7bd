/**
 * Identity pinning for stores (trust on first use): the first identity key seen for a user
 * (or device) is pinned; a later, different key raises `IdentityChangedError` until the user
 * compares safety numbers and accepts the new key. Keys are public, so the comparison is
 * plain; both sides are validated as base64 of 32 bytes first, so a corrupt stored value is a
 * `TypeError`/`RangeError` naming it, never a silent "changed".
 */
import { IdentityChangedError } from '@parley/protocol'
import { ab64, astring } from './_assert.js'
import { equalBytes } from './_bytes.js'
import { KEY_BYTES } from './constants.js'

/** Outcome of {@link checkIdentity}: `'new'` (nothing pinned yet: pin `seen`) or `'same'`. */
export type IdentityCheck = 'new' | 'same'

/**
 * Compares the identity key just seen for `userId` with the pinned one.
 * @param pinned - the stored key (base64), or `undefined`/`null` when none is pinned yet.
 * @param seen - the key the directory or a session reports now (base64).
 * @returns `'new'` when nothing was pinned (the caller pins `seen`), `'same'` when it matches.
 * @throws {IdentityChangedError} when a different key is pinned (`details.userId`).
 * @throws {TypeError|RangeError} when a key is not canonical base64 of 32 bytes or `userId` is empty.
 * @example
 * if (checkIdentity(await store.pinned(userId), bundleOwnerKey, userId) === 'new') await store.pin(userId, bundleOwnerKey)
 */
export function checkIdentity(pinned: string | undefined | null, seen: string, userId: string): IdentityCheck {
  astring(userId, 'userId', true)
  const now = ab64(seen, 'seen', KEY_BYTES)
  if (pinned === undefined || pinned === null) return 'new'
  if (!equalBytes(ab64(pinned, 'pinned', KEY_BYTES), now))
    throw new IdentityChangedError(`the identity key of "${userId}" changed; compare safety numbers, then accept the new key`, { userId })
  return 'same'
}

/**
 * Asserts `seen` equals the pinned key (a key must already be pinned).
 * @throws {IdentityChangedError} when they differ (`details.userId`).
 * @throws {TypeError|RangeError} when a key is not canonical base64 of 32 bytes or `userId` is empty.
 */
export function assertSameIdentity(pinned: string, seen: string, userId: string): void {
  astring(pinned, 'pinned')
  checkIdentity(pinned, seen, userId)
}
