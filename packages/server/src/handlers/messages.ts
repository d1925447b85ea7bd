/**
 * Messages: send (moderated when readable, sealed at rest, group-committed, acked after
 * commit, then fanned out), delete-for-everyone, inbox ack/sync, receipts, typing (never
 * stored) and history by cursor.
 */
import { randomUUID } from 'node:crypto'
import {
  assertNoDowngrade, InvalidFrameError, type EnvelopeMeta, type parseClientFrame, type PlainMessage, type SendResult,
} from '@parley/protocol'
import { flagEvents, verdictToError, type PipelineVerdict } from '@parley/moderation'
import { DEFAULT_HISTORY_LIMIT } from '../options.js'
import { deliver, me, memberOf, sealBody, toWire, userRoom, type Ctx } from '../context.js'
import type { ConversationRecord, NewMessage } from '../store/store.js'
import { afterSend, checkSend, deleteRooms, relayRooms, withheldIn, withholdIfBlocked, type SendGate } from '../safety/gate.js'
import { groupBlockers, groupRelayRooms } from '../safety/group-gate.js'
import type { Handler } from './types.js'
import { membershipAt } from '../groups/membership-at.js'
import { expiresAtFor } from '../disappearing/expiry.js'
import { wakesOffline } from '../receipts/wakes.js'
import { fileIdsOf } from '../attachments/message-files.js'

/** When `userId` could read a group: seqs where they were a member just before or just after (their own add and removal records). */
async function groupViewer(ctx: Ctx, conversationId: string, userId: string): Promise<{ at(seq: number): boolean; firstSeq: number }> {
  const records = await ctx.store.rosterRecords(conversationId, 0, Number.MAX_SAFE_INTEGER)
  const wasMember = membershipAt(records)
  const joins = records.filter((e) => wasMember(userId, e.seq + 1)).map((e) => e.seq)
  return { at: (seq) => wasMember(userId, seq) || wasMember(userId, seq + 1), firstSeq: joins.length ? Math.min(...joins) : Number.MAX_SAFE_INTEGER }
}

function emitFlags(ctx: Ctx, v: PipelineVerdict, hook: VerdictHook, source: { conversationId: string; sender: { userId: string; deviceId: string }; messageId: string }): void {
  const onFlag = ctx.options.onFlag
  if (!onFlag) return
  for (const e of flagEvents(v, { hook, where: 'server', ...source })) {
    void Promise.resolve()
      .then(() => onFlag(e))
      .catch((err) => ctx.reportError(err, { where: 'onFlag', userId: source.sender.userId }))
  }
}

type VerdictHook = 'checkOutgoing' | 'checkIncoming' | 'checkEnvelope'
type MessageSendFrame = ReturnType<typeof parseClientFrame<'message.send'>>

/** What the moderation pipeline sees of a send: its size and shape, never its content. */
function envelopeMeta(f: MessageSendFrame, sender: EnvelopeMeta['sender'], members: number, ts: number): EnvelopeMeta {
  return {
    conversationId: f.conversationId, sender, mode: f.mode,
    // A sender-key send reaches every member device, whatever number of distributions it carries.
    recipientCount: f.mode === 'e2ee' ? (f.senderKey ? Math.max(f.envelopes.length, members) : f.envelopes.length) : members,
    size: f.mode === 'e2ee'
      ? f.envelopes.reduce((n, e) => n + e.ciphertext.length, 0) + f.attachments.reduce((n, a) => n + a.ciphertext.length, 0) + (f.senderKey?.ciphertext.length ?? 0)
      : f.body.text.length + f.body.attachments.reduce((n, a) => n + a.data.length, 0),
    attachmentCount: f.mode === 'e2ee' ? f.attachments.length : f.body.attachments.length,
    ts,
  }
}

/**
 * Runs the moderation hooks some plugin defines (one no plugin defines could only allow):
 * `checkEnvelope` always, `checkOutgoing` + `checkIncoming` on readable content only (e2ee
 * content is checked by clients). Returns the verdicts, for flags once the message is stored.
 * @throws {MessageBlockedError} when a plugin blocks.
 */
async function moderate(ctx: Ctx, f: MessageSendFrame, sender: EnvelopeMeta['sender'], conversation: ConversationRecord, now: number): Promise<[PipelineVerdict, VerdictHook][]> {
  const hooks = ctx.moderationHooks
  const verdicts: [PipelineVerdict, VerdictHook][] = []
  const check = (v: PipelineVerdict, hook: VerdictHook) => {
    const blocked = verdictToError(v)
    if (blocked) throw blocked
    verdicts.push([v, hook])
  }
  const hookCtx = { where: 'server' as const, policy: ctx.policy, mode: f.mode, now, buckets: ctx.store.buckets }
  if (hooks.checkEnvelope) check(await ctx.pipeline.checkEnvelope(envelopeMeta(f, sender, conversation.members.length, now), hookCtx), 'checkEnvelope')
  if (f.mode === 'server-side' && conversation.encryption === 'server-side' && (hooks.checkOutgoing || hooks.checkIncoming)) {
    const plain: PlainMessage = {
      conversationId: f.conversationId, sender, text: f.body.text,
      attachments: f.body.attachments.map(({ name, mime, size, sha256 }) => ({ name, mime, size, sha256 })),
    }
    if (hooks.checkOutgoing) check(await ctx.pipeline.checkOutgoing(plain, hookCtx), 'checkOutgoing')
    if (hooks.checkIncoming) check(await ctx.pipeline.checkIncoming(plain, hookCtx), 'checkIncoming')
  }
  return verdicts
}

const NO_VERDICTS: readonly [PipelineVerdict, VerdictHook][] = []

export const messageSend: Handler<'message.send'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const sender = me(s)
    const conversation = await memberOf(ctx, f.conversationId, sender.userId)
    if (!ctx.closures.openNow(f.conversationId)) await ctx.closures.assertOpen(f.conversationId)
    // Safety (issue 15): canMessage may deny, a sender who blocks the peer is refused, a blocked sender is withheld.
    // Groups: canMessage ran at the invite; a member who blocks the sender gets no inbox row.
    const blockers = conversation.kind === 'group' ? await groupBlockers(ctx, sender.userId, conversation) : []
    const gate: SendGate = conversation.kind === 'group' ? { peer: sender.userId, withheld: false } : await checkSend(ctx, sender.userId, conversation)
    // e2ee never reverts, so a cached e2ee mode is authoritative for refusing a downgrade early.
    if (conversation.encryption === 'e2ee') assertNoDowngrade('e2ee', f.mode, f.conversationId)
    const now = ctx.now()
    const hooks = ctx.moderationHooks
    const verdicts = hooks.checkEnvelope || hooks.checkOutgoing || hooks.checkIncoming ? await moderate(ctx, f, sender, conversation, now) : NO_VERDICTS
    const id = `m_${randomUUID()}`
    const message: NewMessage = f.mode === 'server-side'
      ? { id, conversationId: f.conversationId, sender, clientMessageId: f.clientMessageId, tf: f.tf, mode: 'server-side', sealedBody: sealBody(ctx, f.conversationId, id, f.body) }
      : { id, conversationId: f.conversationId, sender, clientMessageId: f.clientMessageId, tf: f.tf, mode: 'e2ee', envelopes: f.envelopes, attachments: f.attachments }
    // Sender keys (docs/groups.md): who holds this chain already, for the coverage rule.
    const chain = f.mode === 'e2ee' && f.senderKey ? { conversationId: f.conversationId, sender, keyId: f.senderKey.keyId } : null
    if (chain && f.mode === 'e2ee' && f.senderKey) {
      if (conversation.kind !== 'group') throw new InvalidFrameError('sender keys are for group conversations')
      message.senderKey = f.senderKey
      message.senderKeyHolders = await ctx.store.senderKeys.holders(chain)
    }
    const expiresAt = expiresAtFor(ctx, f.mode, conversation, now, f.mode === 'server-side' ? { franked: f.body.timer } : undefined) // retention and the timer
    if (expiresAt !== undefined) message.expiresAt = expiresAt
    withholdIfBlocked(message, gate) // safety: no inbox row for a peer who blocks the sender
    if (blockers.length) message.withheldFrom = blockers
    // Lock keys: the users whose devices get an inbox row (the sender's other devices too).
    const out = await ctx.committer.append(message, conversation.members)
    if (!out.ok) throw out.error
    const m = out.message
    if (!out.duplicate) {
      // Every device sent a distribution now holds the chain (also a withheld blocker's: coverage never tells a sender it is blocked).
      // Not in the append's transaction: a lost write only makes the next send without these distributions be refused (the client distributes again).
      if (chain && f.mode === 'e2ee' && f.envelopes.length) await ctx.store.senderKeys.addHolders(chain, f.envelopes).catch((e) => ctx.reportError(e, { where: 'store', event: 'message.send', userId: sender.userId }))
      if (gate.withheld || gate.move) await afterSend(ctx, gate, m.id, sender.userId) // safety: withheld record, request accepted / re-opened
      if (blockers.length) await ctx.store.safety.withhold(m.id, blockers).catch((e) => ctx.reportError(e, { where: 'store', event: 'message.send', userId: sender.userId }))
      if (ctx.files) await ctx.files.linked(m, fileIdsOf(f)) // attachments go with their message (docs/attachments.md)
      deliver(ctx, m, out.recipients, f.mode === 'server-side' ? f.body : undefined)
      if (wakesOffline(f)) ctx.push?.note(m, out.recipients, f.mode === 'server-side' ? f.body : undefined) // wake offline devices (docs/push.md), never for a receipt
      for (const [v, hook] of verdicts) emitFlags(ctx, v, hook, { conversationId: m.conversationId, sender, messageId: m.id })
    }
    const result: SendResult = {
      messageId: m.id, clientMessageId: f.clientMessageId, conversationId: m.conversationId, seq: m.seq, ts: m.ts,
      franking: m.franking ?? { tf: f.tf, rf: f.tf, kid: ctx.frankingKeys.currentKid },
    }
    return result
  },
}

export const messageDelete: Handler<'message.delete'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const c = await memberOf(ctx, f.conversationId, self.userId)
    await ctx.store.deleteMessage({ conversationId: f.conversationId, messageId: f.messageId, byUserId: self.userId })
    await ctx.files?.released(f.messageId) // its attachments no other message names
    // Safety: a peer who blocks the deleter is not told (and keeps its copy).
    ctx.io.to(c.kind === 'group' ? c.members.map(userRoom) : await deleteRooms(ctx, self.userId, c)).emit('message.deleted', { conversationId: f.conversationId, messageId: f.messageId, by: self, ts: ctx.now() })
    return { ok: true }
  },
}

export const inboxAck: Handler<'inbox.ack'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    await ctx.store.ackInbox(me(s), f.upTo)
    return { ok: true }
  },
}

export const inboxSync: Handler<'inbox.sync'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const after = f.after ?? (await ctx.store.getDevice(self.userId, self.deviceId))?.inboxCursor ?? 0
    const limit = f.limit ?? 100
    const rows = await ctx.store.inboxAfter(self, after, limit + 1, ctx.now())
    return { deliveries: rows.slice(0, limit).map((r) => toWire(ctx, r)), more: rows.length > limit }
  },
}

export const receiptSend: Handler<'receipt.send'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const c = await memberOf(ctx, f.conversationId, self.userId)
    await ctx.closures.assertOpen(f.conversationId)
    // Safety: not across a block or an open message request.
    s.socket.to(c.kind === 'group' ? await groupRelayRooms(ctx, self.userId, c) : await relayRooms(ctx, self.userId, c)).emit('receipt', { ...f, from: self, ts: ctx.now() })
    return { ok: true }
  },
}

export const typingSend: Handler<'typing.send'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const c = await memberOf(ctx, f.conversationId, self.userId)
    await ctx.closures.assertOpen(f.conversationId)
    // Safety: not across a block or an open message request.
    s.socket.to(c.kind === 'group' ? await groupRelayRooms(ctx, self.userId, c) : await relayRooms(ctx, self.userId, c)).emit('typing', { conversationId: f.conversationId, from: self, typing: f.typing })
    return { ok: true }
  },
}

export const historyFetch: Handler<'history.fetch'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const c = await memberOf(ctx, f.conversationId, self.userId)
    const limit = f.limit ?? DEFAULT_HISTORY_LIMIT
    const rows = await ctx.store.history(f.conversationId, self, f.before, limit, ctx.now())
    const last = rows[rows.length - 1]
    const withheld = await withheldIn(ctx, self.userId, rows) // safety: a blocked sender's messages stay hidden
    // A group member reads only what was sent while they were a member (not before they joined,
    // nor while removed): the stored roster records say when (the record adding or removing
    // them included). Attachments travel inside the rows, so they follow.
    const seen = c.kind === 'group' ? await groupViewer(ctx, f.conversationId, self.userId) : null
    const visible = rows.filter((r) => !withheld.has(r.message.id) && (!seen || seen.at(r.message.seq)))
    const more = rows.length === limit && last !== undefined && last.message.seq > 1 && (!seen || last.message.seq > seen.firstSeq)
    return { messages: visible.map((r) => toWire(ctx, r)), ...(more ? { nextBefore: last.message.seq } : {}) }
  },
}
