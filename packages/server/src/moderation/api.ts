/**
 * `parley.moderation`: what a platform's safety team does to users, devices, conversations,
 * messages and reports. Every action works on metadata the server holds in every mode, so it
 * behaves the same under `server-side`, `optional-e2ee` and `default-e2ee`; each lands in the
 * append-only audit log in the same store transaction as its effect.
 */
import {
  AccountSuspendedError, ForbiddenError, HAS_NUL, hasNoNul, isWellFormedText, NOT_WELL_FORMED, NotFoundError, type DeviceAddress,
  type ModerationAction, type Notice,
} from '@parley/protocol'
import { connectionsRoom, deviceRoom, flushNotices, userRoom, type Ctx } from '../context.js'
import type {
  AuditAction, AuditEntry, Closure, NewAuditEntry, ReportQueueEntry, ReportStatus, Suspension,
} from '../store/moderation-store.js'
import { Adapter } from 'socket.io-adapter'
import { CLOSED_EVENT } from './closure-cache.js'

/** The longest reason, resolution or note a moderator may record, in UTF-16 code units. */
export const MAX_MODERATION_TEXT = 2_000
/** The most report-queue or audit-log rows one call returns. */
export const MAX_MODERATION_PAGE = 1_000
/** The actor recorded when a call names none. */
export const DEFAULT_MODERATOR = 'operator'

/**
 * Who acts and why; `by` is the moderator's id in the audit log (default `'operator'`). A `by`
 * that names a suspended Parley user is refused (`ForbiddenError`): moderators who are also
 * users lose their powers with their account. It is the integrator's label, not authentication.
 */
export interface ModerationReason {
  reason: string
  by?: string
}

export interface ModerationApi {
  /**
   * Suspends a user: every live socket of the user on every node closed (`account_suspended`),
   * registered device or not; new ones refused at the handshake and at `hello`.
   */
  suspendUser(userId: string, options: ModerationReason & { until?: number }): Promise<Suspension>
  /** Lifts a suspension; false when the user was not suspended. */
  unsuspendUser(userId: string, options: ModerationReason): Promise<boolean>
  /** Revokes one device: it is disconnected (`device_revoked`) and can no longer connect. */
  revokeDevice(userId: string, deviceId: string, options: ModerationReason): Promise<void>
  /** Closes a conversation: no more sends, members get a `conversation_closed` notice. */
  closeConversation(conversationId: string, options: ModerationReason): Promise<Closure>
  /**
   * Removes a message for everyone: the body (server-side) or the ciphertext (E2EE) is deleted
   * on the server (a sender-key message keeps its chain distributions, no content) and members
   * get a `message_removed` notice. Reports already filed keep it.
   */
  removeMessage(conversationId: string, messageId: string, options: ModerationReason): Promise<void>
  /** The report queue, newest first. */
  listReports(options?: { status?: ReportStatus; limit?: number }): Promise<ReportQueueEntry[]>
  /** Resolves a report once (`ReportResolvedError` the second time). */
  resolveReport(reportId: string, options: { reporterUserId: string; resolution: string; note?: string; by?: string }): Promise<ReportQueueEntry>
  /** The audit log, oldest first, from `since` (ms). */
  auditLog(options?: { since?: number; limit?: number }): Promise<AuditEntry[]>
}

/** A moderator's free text: non-empty, bounded, well-formed. @throws {TypeError|RangeError} */
export function checkText(value: unknown, name: string): string {
  if (typeof value !== 'string' || value.trim().length === 0) throw new TypeError(`"${name}" expected a non-empty string`)
  if (value.length > MAX_MODERATION_TEXT) throw new RangeError(`"${name}" expected at most ${MAX_MODERATION_TEXT} characters, got ${value.length}`)
  if (!isWellFormedText(value)) throw new TypeError(`"${name}" ${NOT_WELL_FORMED}`)
  // PostgreSQL's text refuses U+0000: an operator's typo must not become a store error.
  if (!hasNoNul(value)) throw new TypeError(`"${name}" ${HAS_NUL}`)
  return value
}

function limitOf(value: unknown): number {
  if (value === undefined) return MAX_MODERATION_PAGE
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > MAX_MODERATION_PAGE) {
    throw new RangeError(`"limit" expected an integer in 1..${MAX_MODERATION_PAGE}`)
  }
  return value as number
}

export function createModerationApi(ctx: Ctx, ready: Promise<void>): ModerationApi {
  const store = () => ctx.store.moderation

  const actor = (by: unknown) => actingModerator(ctx, by)

  async function begin(options: ModerationReason | undefined): Promise<{ by: string; reason: string; at: number }> {
    if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object with a "reason"')
    const reason = checkText(options.reason, 'reason')
    await ready
    return { by: await actor(options.by), reason, at: ctx.now() }
  }

  const entry = (action: AuditAction, target: string, a: { by: string; reason: string; at: number }, details: NewAuditEntry['details'] = {}): NewAuditEntry => ({
    at: a.at, actor: a.by, action, target, reason: a.reason, details,
  })

  /** Tells the sockets in `room` (any node) why, then disconnects them. */
  function sendAway(room: string, code: 'account_suspended' | 'device_revoked'): void {
    ctx.io.in(room).emit('goodbye', { code })
    ctx.io.in(room).disconnectSockets(false)
  }

  async function notify(userIds: string[], notice: Notice): Promise<void> {
    await ctx.store.addNotices(userIds.map((userId) => ({ userId, notice })))
    await flushNotices(ctx, userIds)
  }

  return {
    async suspendUser(userId, options) {
      const a = await begin(options)
      const until = options.until
      if (until !== undefined && (!Number.isSafeInteger(until) || until <= a.at)) throw new RangeError('"until" expected a time (ms) in the future')
      if (!(await ctx.store.getUser(userId))) throw new NotFoundError('unknown user', { resource: 'user', id: userId })
      const suspension: Suspension = { userId, reason: a.reason, by: a.by, at: a.at, ...(until !== undefined ? { until } : {}) }
      const audit = entry('suspend_user', userId, a, until !== undefined ? { until } : {})
      await store().suspend(suspension, audit)
      // Every connection of the user, not only its registered devices (review finding L4): one
      // that said hello as an unregistered id (or none yet) joined no device room, yet could
      // fetch blobs and device lists or ask to be linked. The goodbye is true for each of them
      // (it is the account that is suspended), so all get it, as registered devices do.
      sendAway(connectionsRoom(userId), 'account_suspended')
      await announceAction(ctx, audit)
      return suspension
    },
    async unsuspendUser(userId, options) {
      const a = await begin(options)
      const audit = entry('unsuspend_user', userId, a)
      const lifted = await store().unsuspend(userId, audit)
      if (lifted) await announceAction(ctx, audit)
      return lifted
    },
    async revokeDevice(userId, deviceId, options) {
      const a = await begin(options)
      if (!(await ctx.store.getDevice(userId, deviceId))) throw new NotFoundError('unknown device', { resource: 'device', id: deviceId })
      const audit = entry('revoke_device', userId, a, { deviceId })
      await store().revokeDevice(userId, deviceId, audit)
      // A device that can no longer connect must not be woken (its push service would still deliver).
      await ctx.store.push.forget(userId, deviceId)
      sendAway(deviceRoom({ userId, deviceId } satisfies DeviceAddress), 'device_revoked')
      // And the user's connections that are no registered device (no hello yet, or hello as an
      // unregistered id): the revoked device may hold them, and each takes one of the user's
      // `maxConnectionsPerUser` slots (review finding M3). They cannot be told apart from a
      // device of the user being set up, so no goodbye: an honest client just reconnects. The
      // user's registered devices (in the user room) keep their connections.
      ctx.io.in(connectionsRoom(userId)).except(userRoom(userId)).disconnectSockets(false)
      await announceAction(ctx, audit)
    },
    async closeConversation(conversationId, options) {
      const a = await begin(options)
      const c = await ctx.store.getConversation(conversationId)
      if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: conversationId })
      const audit = entry('close_conversation', conversationId, a)
      const { closure, created } = await store().closeConversation({ conversationId, reason: a.reason, by: a.by, at: a.at }, audit)
      ctx.closures.closed(conversationId)
      if (clustered(ctx)) ctx.io.serverSideEmit(CLOSED_EVENT, conversationId)
      if (created) {
        await notify(c.members, { kind: 'conversation_closed', conversationId, ts: closure.at })
        await announceAction(ctx, audit)
      }
      return closure
    },
    async removeMessage(conversationId, messageId, options) {
      const a = await begin(options)
      const c = await ctx.store.getConversation(conversationId)
      if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: conversationId })
      const audit = entry('remove_message', conversationId, a, { messageId })
      await ctx.store.deleteMessage({ conversationId, messageId, byUserId: null, audit })
      await ctx.files?.released(messageId)
      await notify(c.members, { kind: 'message_removed', conversationId, messageId, ts: a.at })
      await announceAction(ctx, audit)
    },
    async listReports(options = {}) {
      const status = options.status
      if (status !== undefined && status !== 'open' && status !== 'resolved') throw new TypeError('"status" expected "open" or "resolved"')
      await ready
      return store().listReports({ limit: limitOf(options.limit), ...(status ? { status } : {}) })
    },
    async resolveReport(reportId, options) {
      if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected an object')
      const resolution = checkText(options.resolution, 'resolution')
      const note = options.note === undefined ? undefined : checkText(options.note, 'note')
      checkText(options.reporterUserId, 'reporterUserId')
      checkText(reportId, 'reportId')
      await ready
      const by = await actor(options.by)
      const at = ctx.now()
      const audit: NewAuditEntry = { at, actor: by, action: 'resolve_report', target: reportId, reason: resolution, details: { reporterUserId: options.reporterUserId } }
      const resolved = await store().resolveReport(options.reporterUserId, reportId, { resolution, by, at, ...(note !== undefined ? { note } : {}) }, audit)
      await announceAction(ctx, audit)
      return resolved
    },
    async auditLog(options = {}) {
      if (options.since !== undefined && !Number.isSafeInteger(options.since)) throw new TypeError('"since" expected a time in ms')
      await ready
      return store().auditLog({ limit: limitOf(options.limit), ...(options.since !== undefined ? { since: options.since } : {}) })
    },
  }
}

/** The acting moderator; a suspended one (a Parley user under suspension) may not act. */
async function actingModerator(ctx: Ctx, by: unknown): Promise<string> {
  // The default actor is a label, not a Parley user: a user who registers as "operator" and
  // gets suspended must not lock the platform's own calls out.
  if (by === undefined) return DEFAULT_MODERATOR
  const who = checkText(by, 'by')
  if (await ctx.store.moderation.suspension(who, ctx.now())) throw new ForbiddenError(`moderator "${who}" is suspended`)
  return who
}

/** Records an action whose effect lives outside the moderation store (e.g. a disclosure export). */
export async function auditAction(ctx: Ctx, action: AuditAction, target: string, options: ModerationReason, details: NewAuditEntry['details']): Promise<AuditEntry> {
  const reason = checkText(options.reason, 'reason')
  const actor = await actingModerator(ctx, options.by)
  const recorded = await ctx.store.moderation.audit({ at: ctx.now(), actor, action, target, reason, details })
  await announceAction(ctx, recorded)
  return recorded
}

/**
 * Hands a committed action to the integrator's `onModerationAction` and to every plugin's hook
 * (a fresh copy each, so no hook can alter what another sees). Never throws: a failing hook goes
 * to `onError` and does not undo or fail the action, which is already in the audit log.
 */
export async function announceAction(ctx: Ctx, entry: NewAuditEntry): Promise<void> {
  const copy = (): ModerationAction => ({
    at: entry.at, actor: entry.actor, action: entry.action, target: entry.target, reason: entry.reason, details: { ...entry.details },
  })
  const hook = ctx.options.onModerationAction
  if (hook) {
    try {
      await hook(copy())
    } catch (e) {
      ctx.reportError(e, { where: 'onModerationAction' })
    }
  }
  await ctx.pipeline.onModerationAction(copy(), { where: 'server', policy: ctx.policy, mode: 'server-side', now: ctx.now(), buckets: ctx.store.buckets })
}

/** True when an adapter links this node to others (the in-memory one cannot `serverSideEmit`). */
function clustered(ctx: Ctx): boolean {
  return ctx.io.of('/').adapter.serverSideEmit !== Adapter.prototype.serverSideEmit
}

/** The typed refusal of a suspended user's handshake (details: until, reason). */
export function suspendedError(s: Suspension): AccountSuspendedError {
  return new AccountSuspendedError(undefined, { reason: s.reason, ...(s.until !== undefined ? { until: s.until } : {}) })
}
