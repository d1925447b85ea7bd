/**
 * Safety-control frames (issue 15, part A): block / unblock / the blocked list, mute per
 * conversation, and the recipient's side of message requests. The store is the source of truth;
 * each change is pushed to the user's other devices (`socket.to(userRoom)` leaves out the
 * acting connection, which has the ack). Enforcement lives in `../safety/gate.ts`. Lists hold
 * everything (a blocked requester's request too); the client decides what to show.
 */
import { ForbiddenError, NotFoundError, type RequestState } from '@parley/protocol'
import { DEFAULT_SAFETY_PAGE } from '../options.js'
import { me, memberOf, userRoom, type Ctx, type Session } from '../context.js'
import { requestChanged } from '../safety/gate.js'
import type { Handler } from './types.js'

/**
 * The user a block names: a known user other than the caller.
 * @throws {ForbiddenError} the caller's own id. @throws {NotFoundError} an unknown user.
 */
async function otherUser(ctx: Ctx, self: string, userId: string): Promise<string> {
  if (userId === self) throw new ForbiddenError('you cannot block or unblock yourself')
  if (!(await ctx.store.getUser(userId))) throw new NotFoundError('unknown user', { resource: 'user', id: userId })
  return userId
}

/** One page of `fetch(limit + 1)`: the rows, and the id to continue after when there are more. */
async function page<T>(limit: number | undefined, fetch: (n: number) => Promise<T[]>, id: (row: T) => string): Promise<{ rows: T[]; next?: string }> {
  const n = limit ?? DEFAULT_SAFETY_PAGE
  const rows = await fetch(n + 1)
  return rows.length > n ? { rows: rows.slice(0, n), next: id(rows[n - 1]!) } : { rows }
}

export const blockAdd: Handler<'block.add'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s).userId
    const userId = await otherUser(ctx, self, f.userId)
    const { since, created } = await ctx.store.safety.block(self, userId, ctx.now())
    if (created) s.socket.to(userRoom(self)).emit('block.changed', { userId, blocked: true, ts: since })
    return { userId, blocked: true, since }
  },
}

export const blockRemove: Handler<'block.remove'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s).userId
    const userId = await otherUser(ctx, self, f.userId)
    const { removed } = await ctx.store.safety.unblock(self, userId)
    if (removed) s.socket.to(userRoom(self)).emit('block.changed', { userId, blocked: false, ts: ctx.now() })
    return { userId, blocked: false }
  },
}

export const blockList: Handler<'block.list'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s).userId
    const { rows, next } = await page(f.limit, (n) => ctx.store.safety.listBlocked(self, f.after, n), (b) => b.userId)
    return { blocked: rows, ...(next !== undefined ? { next } : {}) }
  },
}

export const muteSet: Handler<'mute.set'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s).userId
    await memberOf(ctx, f.conversationId, self)
    const now = ctx.now()
    const { changed } = await ctx.store.safety.setMuted(self, f.conversationId, f.muted, now)
    if (changed) s.socket.to(userRoom(self)).emit('mute.changed', { conversationId: f.conversationId, muted: f.muted, ts: now })
    return { conversationId: f.conversationId, muted: f.muted }
  },
}

export const muteList: Handler<'mute.list'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s).userId
    const { rows, next } = await page(f.limit, (n) => ctx.store.safety.listMuted(self, f.after, n), (m) => m.conversationId)
    return { muted: rows, ...(next !== undefined ? { next } : {}) }
  },
}

export const requestList: Handler<'request.list'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s).userId
    const { rows, next } = await page(f.limit, (n) => ctx.store.safety.listRequests(self, f.after, n), (r) => r.conversationId)
    const requests = rows.map((r) => ({ conversationId: r.conversationId, userId: r.requester, state: r.state as 'pending' | 'declined', since: r.since }))
    return { requests, ...(next !== undefined ? { next } : {}) }
  },
}

/** Moves the caller's open request in `conversationId` to `to`. @throws {NotFoundError} no open request for the caller there. */
async function resolveRequest(ctx: Ctx, s: Session, conversationId: string, to: RequestState): Promise<{ conversationId: string; state: RequestState }> {
  const self = me(s).userId
  await memberOf(ctx, conversationId, self)
  const moved = await ctx.store.safety.moveRequest({ conversationId, recipient: self, from: ['pending', 'declined'], to, now: ctx.now() })
  if (!moved) throw new NotFoundError('this conversation is not an open message request for you', { resource: 'request', id: conversationId })
  if (moved.changed) s.socket.to(userRoom(self)).emit('request.changed', requestChanged(moved.request))
  return { conversationId, state: moved.request.state }
}

export const requestAccept: Handler<'request.accept'> = {
  needs: 'registered',
  run: (ctx, s, f) => resolveRequest(ctx, s, f.conversationId, 'accepted'),
}

export const requestDecline: Handler<'request.decline'> = {
  needs: 'registered',
  run: (ctx, s, f) => resolveRequest(ctx, s, f.conversationId, 'declined'),
}
