/**
 * Account reset without a backup (issue 17, docs/recovery.md): "I lost every device". The
 * integrator's server re-authenticates the user its own way (password and e-mail, support
 * desk, …) and then calls `parley.resetIdentity(userId, { reason })`. Parley forgets the
 * user's pinned identity key and device list, revokes every old device (an audit entry each,
 * `device_revoked` to any still connected: a lost device that turns up again cannot come back
 * or re-pin the old identity), records the abandoned identity key so that no device — a lost
 * one that still has a token included — can register under it again (decision 0023), issues a
 * one-time registration ticket without which no new identity registers (decision 0024),
 * disconnects every connection of the user, hello'd or not (so a lost device cannot hold the
 * slots the new device needs), deletes their prekeys and push registrations, and tells every peer's devices the
 * user's device list changed. The user's next device registers a brand-new identity; peers see
 * `IdentityChangedError` and must accept it. Old E2EE history was for the old devices' keys
 * and is gone; server-side conversations keep their readable history.
 */
import { NotFoundError } from '@parley/protocol'
import type { ModerationApi } from '../moderation/api.js'
import { connectionsRoom, flushNotices, userRoom, type Ctx } from '../context.js'
import { newTicket } from './reset-ticket.js'

/** The longest `reason` accepted (as moderator reasons). */
export const MAX_RESET_REASON_LENGTH = 1_000

/** What a reset did. */
export interface IdentityResetResult {
  userId: string
  /** The devices that were active and are now revoked. */
  revokedDevices: string[]
  /**
   * The one-time registration ticket (decision 0024): the user's next device must present it
   * (`resetIdentity({ ticket })` on the client) to register the new identity. Deliver it to the
   * re-authenticated user only (your app, after its own check), never to a session that merely
   * holds a token. Valid for `RESET_TICKET_TTL_MS`, once; Parley keeps only its hash. Calling
   * `resetIdentity` again replaces it (the way to a new ticket when it expired or was burned).
   */
  ticket: string
  /** When the ticket stops being accepted (server clock, ms). */
  ticketExpiresAt: number
}

/** Options of `parley.resetIdentity`. */
export interface IdentityResetOptions {
  /** Why (kept in the audit log of each revoked device), e.g. `'account recovery: re-verified by e-mail'`. */
  reason: string
  /** Who did it (audit log); the moderation `actor` default otherwise. */
  by?: string
}

/**
 * @throws {TypeError} `userId` is not a non-empty string or `options.reason` is missing.
 * @throws {RangeError} `options.reason` is longer than {@link MAX_RESET_REASON_LENGTH}.
 * @throws {NotFoundError} no such user.
 */
export async function resetIdentity(ctx: Ctx, moderation: ModerationApi, ready: Promise<void>, userId: string, options: IdentityResetOptions): Promise<IdentityResetResult> {
  if (typeof userId !== 'string' || userId.length === 0) throw new TypeError('"userId" expected a non-empty string')
  if (typeof options !== 'object' || options === null || typeof options.reason !== 'string' || options.reason.length === 0) {
    throw new TypeError('"options.reason" expected a non-empty string')
  }
  if (options.reason.length > MAX_RESET_REASON_LENGTH) throw new RangeError(`"options.reason" expected at most ${MAX_RESET_REASON_LENGTH} characters, got ${options.reason.length}`)
  await ready
  // A user already reset whose ticket is still pending (expired or lost) may be reset again: a new ticket.
  if (!(await ctx.store.getUser(userId)) && !(await ctx.store.resetTickets.get(userId))) {
    throw new NotFoundError('unknown user', { resource: 'user', id: userId })
  }
  const issued = newTicket(ctx.now())
  const { devices } = await ctx.store.resetIdentity(userId, { hash: issued.hash, expiresAt: issued.expiresAt })
  // No device of the old identity may be woken any more (revokeDevice also forgets each active one's).
  await ctx.store.push.forget(userId)
  // Every connection of the user goes, on every node (review finding M3): ones that never said
  // hello, or said it with an unregistered device id, joined no device room, yet each holds one
  // of the user's `maxConnectionsPerUser` slots — a lost device holding them all would keep the
  // user's new device (and its ticket) out for good. Only the registered devices (the user
  // room) are told `device_revoked`: an unregistered connection may be the user's new device
  // being set up (a restore or a link mid-way), and a client gives up for good after any
  // goodbye but `server_restarting` (review finding L6). The rest are disconnected silently
  // and an honest client reconnects. Whatever comes back must pass the integrator's
  // `authenticate` again (revoke the lost device's token, docs/recovery.md).
  ctx.io.in(userRoom(userId)).emit('goodbye', { code: 'device_revoked' })
  try {
    for (const deviceId of devices) {
      await moderation.revokeDevice(userId, deviceId, { reason: options.reason, ...(options.by !== undefined ? { by: options.by } : {}) })
    }
  } finally {
    // Even when a revoke failed (the store): the identity is already reset, the slots must go.
    ctx.io.in(connectionsRoom(userId)).disconnectSockets(false)
  }
  // Peers refetch the user's keys and meet the new identity (IdentityChangedError) on their next
  // E2EE send; in every mode each member of each conversation also gets an `identity_changed`
  // notice (from the closed catalogue, stored for devices that are offline).
  const conversations = await ctx.store.listConversations(userId)
  const peers = [...new Set(conversations.flatMap((c) => c.members))].filter((u) => u !== userId)
  const ts = ctx.now()
  await ctx.store.addNotices(conversations.flatMap((c) => c.members.filter((u) => u !== userId).map((member) => ({
    userId: member, notice: { kind: 'identity_changed' as const, conversationId: c.id, userId, ts },
  }))))
  await flushNotices(ctx, peers)
  ctx.io.to(peers.map(userRoom)).emit('devicelist.changed', { userId, version: 0, ts })
  return { userId, revokedDevices: devices, ticket: issued.ticket, ticketExpiresAt: issued.expiresAt }
}
