/**
 * The safety controls for groups (docs/groups.md, docs/safety-controls.md), the same in every
 * mode and decided on metadata alone:
 * - an invite (create, add) runs `canMessage(inviter, invitee)` for each invitee: `'deny'`
 *   refuses the whole change with `MessagingDeniedError` naming the invitee, as does an invitee
 *   who blocks the inviter (the same error, so the invite does not tell a block from a rule);
 *   an inviter who blocks an invitee is refused with `PeerBlockedError`; `'request'` opens a
 *   message request for the invitee once the change is stored;
 * - a send is withheld from every member who blocks the sender (acked as usual, no inbox row);
 * - typing and receipts reach only members with no block either way with the sender.
 */
import { MessagingDeniedError, PeerBlockedError } from '@parley/protocol'
import { userRoom, type Ctx } from '../context.js'
import type { ConversationRecord } from '../store/store.js'
import { canMessage } from './can-message.js'
import { requestChanged } from './gate.js'
import { pairReader } from './pair-reader.js'

/**
 * Checks an invite of `invitees` by `inviter`; returns those for whom it opens a request.
 * @throws {MessagingDeniedError} @throws {PeerBlockedError}
 */
export async function checkInvite(ctx: Ctx, inviter: string, invitees: readonly string[]): Promise<string[]> {
  const others = invitees.filter((to) => to !== inviter)
  // Every invitee's safety read at once: one batch, not one I/O turn per invitee.
  const reads = Promise.all(others.map((to) => pairReader(ctx.store.safety).read(inviter, to)))
  reads.catch(() => {}) // awaited below; a throwing canMessage first must not leave it unhandled
  const requests: string[] = []
  for (const [i, to] of others.entries()) {
    const decision = await canMessage(ctx, inviter, to)
    const pair = (await reads)[i]!
    if (pair.aBlocksB) throw new PeerBlockedError('you blocked this user: unblock them to invite them', { userId: to })
    if (decision === 'deny' || pair.bBlocksA) throw new MessagingDeniedError('this user cannot be messaged', { userId: to })
    if (decision === 'request') requests.push(to)
  }
  return requests
}

/** Opens the message requests an invite decided, telling each invitee's devices (best effort). */
export async function openInviteRequests(ctx: Ctx, c: ConversationRecord, inviter: string, invitees: readonly string[]): Promise<void> {
  for (const recipient of invitees) {
    try {
      const { created, request } = await ctx.store.safety.openRequest({ conversationId: c.id, recipient, requester: inviter, now: ctx.now() })
      if (created) ctx.io.to(userRoom(recipient)).emit('request.changed', requestChanged(request))
    } catch (e) {
      ctx.reportError(e, { where: 'store', event: 'conversation.create', userId: inviter })
    }
  }
}

/** Members of `c` who block `sender`: a group send is withheld from them. */
export async function groupBlockers(ctx: Ctx, sender: string, c: ConversationRecord): Promise<string[]> {
  const others = c.members.filter((m) => m !== sender)
  const pairs = await Promise.all(others.map((m) => pairReader(ctx.store.safety).read(sender, m)))
  return others.filter((_, i) => pairs[i]!.bBlocksA)
}

/** The rooms a group receipt or typing indicator of `from` goes to: members with no block either way. */
export async function groupRelayRooms(ctx: Ctx, from: string, c: ConversationRecord): Promise<string[]> {
  const others = c.members.filter((m) => m !== from)
  const pairs = await Promise.all(others.map((m) => pairReader(ctx.store.safety).read(from, m)))
  return [userRoom(from), ...others.filter((_, i) => !pairs[i]!.aBlocksB && !pairs[i]!.bBlocksA).map(userRoom)]
}
