/**
 * Every enforcement decision of the safety controls (issue 15, part A; docs/decisions/0005),
 * called from the existing handlers at marked points, the same in every mode:
 * - `conversation.open`: `canMessage` may deny; a first contact may open a message request;
 *   a peer who blocks the opener is not told about a conversation the opener created.
 * - `message.send`: `canMessage` may deny; a sender who blocks the peer is refused
 *   (`PeerBlockedError`); a sender the peer blocks is acked as usual but withheld from the
 *   peer; a reply accepts an open request, the requester writing again re-opens a declined one.
 * - `typing.send` / `receipt.send`: not relayed across a block (either way) or an open request.
 * - `message.delete`: not announced to a peer who blocks the deleter (the peer keeps its copy).
 * - `history.fetch` and report gaps: a message withheld from the viewer is not theirs to see.
 */
import { MessagingDeniedError, PeerBlockedError, type CanMessageDecision, type RequestChanged, type RequestState } from '@parley/protocol'
import { userRoom, type Ctx } from '../context.js'
import type { ConversationRecord, NewMessage, StoredDelivery } from '../store/store.js'
import type { RequestRecord } from '../store/safety-store.js'
import { canMessage } from './can-message.js'
import { pairReader } from './pair-reader.js'

/** The other member of a 1:1 conversation. */
function peerOf(c: ConversationRecord, userId: string): string {
  return c.members.find((m) => m !== userId) ?? userId
}

function denied(userId: string): MessagingDeniedError {
  return new MessagingDeniedError('this user cannot be messaged', { userId })
}

/** The `request.changed` frame of a request. */
export function requestChanged(r: RequestRecord): RequestChanged {
  return { conversationId: r.conversationId, userId: r.requester, state: r.state, ts: r.since }
}

/**
 * Before `conversation.open` of `from` with `to`: the `canMessage` decision.
 * @throws {MessagingDeniedError} when it is `'deny'` (nothing is written).
 */
export async function checkOpen(ctx: Ctx, from: string, to: string): Promise<CanMessageDecision> {
  const decision = await canMessage(ctx, from, to)
  if (decision === 'deny') throw denied(to)
  return decision
}

/**
 * After `conversation.open` created conversation `c`: opens the message request when the
 * decision was `'request'`, and says whether the peer may be told (`conversation` frame) —
 * not when the peer blocks the opener.
 */
export async function announceCreated(ctx: Ctx, opener: string, c: ConversationRecord, decision: CanMessageDecision): Promise<boolean> {
  const peer = peerOf(c, opener)
  const pair = await pairReader(ctx.store.safety).read(opener, peer)
  if (pair.bBlocksA) return false
  if (decision === 'request') {
    const { created, request } = await ctx.store.safety.openRequest({ conversationId: c.id, recipient: peer, requester: opener, now: ctx.now() })
    // Before the `conversation` frame, so the peer's client knows it is a request when it first sees it.
    if (created) ctx.io.to(userRoom(peer)).emit('request.changed', requestChanged(request))
  }
  return true
}

/** What `checkSend` decided: whether the message is withheld from the peer, and a request move. */
export interface SendGate {
  peer: string
  withheld: boolean
  move?: { conversationId: string; recipient: string; from: RequestState[]; to: RequestState }
}

/**
 * Before `message.send` of `sender` into `c`.
 * @throws {MessagingDeniedError} `canMessage` denies it. @throws {PeerBlockedError} the sender blocks the peer.
 */
export async function checkSend(ctx: Ctx, sender: string, c: ConversationRecord): Promise<SendGate> {
  const peer = peerOf(c, sender)
  // Without the option everything is allowed: no call (and no promise) per send.
  if (ctx.options.canMessage && (await canMessage(ctx, sender, peer)) === 'deny') throw denied(peer)
  const pair = await pairReader(ctx.store.safety).read(sender, peer, c.id)
  if (pair.aBlocksB) throw new PeerBlockedError('you blocked this user: unblock them to send', { userId: peer })
  const gate: SendGate = { peer, withheld: pair.bBlocksA }
  const r = pair.request
  if (!gate.withheld && r && r.state !== 'accepted') {
    // A reply by the recipient accepts the request; the requester writing again re-opens a declined one.
    if (r.recipient === sender) gate.move = { conversationId: c.id, recipient: sender, from: ['pending', 'declined'], to: 'accepted' }
    else if (r.state === 'declined') gate.move = { conversationId: c.id, recipient: peer, from: ['declined'], to: 'pending' }
  }
  return gate
}

/** Marks `message` withheld from the peer when the gate says so (the store then writes no inbox row for them). */
export function withholdIfBlocked(message: NewMessage, gate: SendGate): NewMessage {
  if (gate.withheld) message.withheldFrom = [gate.peer]
  return message
}

/**
 * After a send was stored (not a resend): records the withheld message and moves the request,
 * telling the recipient's devices. Best effort: the message is stored and acked either way; a
 * failure is reported to `onError`.
 */
export async function afterSend(ctx: Ctx, gate: SendGate, messageId: string, sender: string): Promise<void> {
  try {
    if (gate.withheld) await ctx.store.safety.withhold(messageId, [gate.peer])
    if (gate.move) {
      const moved = await ctx.store.safety.moveRequest({ ...gate.move, now: ctx.now() })
      if (moved?.changed) ctx.io.to(userRoom(moved.request.recipient)).emit('request.changed', requestChanged(moved.request))
    }
  } catch (e) {
    ctx.reportError(e, { where: 'store', event: 'message.send', userId: sender })
  }
}

/**
 * The rooms a receipt or typing indicator of `from` in `c` goes to: `from`'s own devices, and
 * the peer's unless either blocks the other or the conversation is an open request.
 */
export async function relayRooms(ctx: Ctx, from: string, c: ConversationRecord): Promise<string[]> {
  const peer = peerOf(c, from)
  const pair = await pairReader(ctx.store.safety).read(from, peer, c.id)
  const openRequest = pair.request !== null && pair.request.state !== 'accepted'
  return pair.aBlocksB || pair.bBlocksA || openRequest ? [userRoom(from)] : [userRoom(from), userRoom(peer)]
}

/** The rooms a delete-for-everyone by `from` is announced to: not a peer who blocks `from`. */
export async function deleteRooms(ctx: Ctx, from: string, c: ConversationRecord): Promise<string[]> {
  const peer = peerOf(c, from)
  return (await pairReader(ctx.store.safety).read(from, peer)).bBlocksA ? [userRoom(from)] : c.members.map(userRoom)
}

/**
 * Ids among `rows` (as `viewer` sees history) withheld from `viewer`. Only rows without an inbox
 * row for the viewing device and sent by someone else can be: most pages need no lookup.
 */
export async function withheldIn(ctx: Ctx, viewer: string, rows: readonly StoredDelivery[]): Promise<Set<string>> {
  const candidates = rows.filter((r) => r.inboxId === 0 && r.message.kind === 'message' && r.message.sender.userId !== viewer).map((r) => r.message.id)
  if (candidates.length === 0) return new Set()
  return new Set(await ctx.store.safety.withheldAmong(viewer, candidates))
}
