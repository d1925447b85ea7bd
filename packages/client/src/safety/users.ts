/**
 * `client.users`: block, unblock and the blocked list (issue 15). The server enforces a block
 * in every mode — the blocked user's messages, typing and receipts never reach this user, and
 * they are not told — and pushes it to this user's other devices.
 */
import type { ClientCore } from '../core.js'
import type { SafetyState } from './state.js'

/** A user this user blocks, since `since` (server time, ms). */
export interface BlockedUser {
  userId: string
  since: number
}

/** `client.users`. */
export interface Users {
  /**
   * Blocks `userId` on every device of this user. Idempotent.
   * @throws {ForbiddenError} your own user id. @throws {NotFoundError} an unknown user.
   * @example await client.users.block('mallory')
   */
  block(userId: string): Promise<void>
  /**
   * Unblocks `userId`. What they sent while blocked is never delivered. Idempotent.
   * @throws {ForbiddenError} your own user id. @throws {NotFoundError} an unknown user.
   */
  unblock(userId: string): Promise<void>
  /** Every user this user blocks, from the server, by user id. */
  blocked(): Promise<BlockedUser[]>
  /** Whether this device knows `userId` to be blocked (synced at every connect, then live). */
  isBlocked(userId: string): boolean
}

function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) throw new TypeError('"userId" expected a non-empty string')
}

/** Builds `client.users` over the shared safety state. */
export function createUsers(core: ClientCore, state: SafetyState): Users {
  return {
    async block(userId) {
      checkUserId(userId)
      await core.whenReady()
      const r = await core.conn.request('block.add', { userId })
      state.applyBlock(userId, true, r.since ?? core.now())
    },
    async unblock(userId) {
      checkUserId(userId)
      await core.whenReady()
      await core.conn.request('block.remove', { userId })
      state.applyBlock(userId, false, 0)
    },
    async blocked() {
      await core.whenReady()
      const list = await state.readBlocked()
      state.replaceBlocked(list)
      return list
    },
    isBlocked: (userId) => state.isBlocked(userId),
  }
}
