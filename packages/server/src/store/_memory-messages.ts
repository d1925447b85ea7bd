/**
 * The memory store's messages and inboxes: the append of a batch (membership, mode and envelope
 * coverage checked per message, a resend answered with the stored message), inbox reads and
 * acks, history, delete-for-everyone, the messages a user saw, and the retention purge.
 */
import { ForbiddenError, NotFoundError } from '@parley/protocol'
import { checkMode, checkSendCoverage, deliverable, deviceKey } from './_rules.js'
import { clone, type MemoryState } from './_memory-state.js'
import type { AppendOutcome, FrankingBinder, NewMessage, ParleyStore, StoredDelivery, StoredMessage } from './store.js'

type MessageMethods = Pick<ParleyStore, 'appendMessages' | 'inboxAfter' | 'ackInbox' | 'history' | 'deleteMessage' | 'messagesSeenBy' | 'purgeExpired'>

/** `self` is the store being built (for its moderation audit). */
export function memoryMessageMethods(s: MemoryState, self: () => ParleyStore): MessageMethods {
  const { conversations, messages, bySeq, dedup, inboxes, activeDevices, deliver, addMessage, live, mustDevice } = s
  return {
    async appendMessages(batch: NewMessage[], bind: FrankingBinder, now: number): Promise<AppendOutcome[]> {
      return batch.map((nm): AppendOutcome => {
        try {
          const dk = `${nm.conversationId}\n${deviceKey(nm.sender)}\n${nm.clientMessageId}`
          const dup = dedup.get(dk)
          if (dup) return { ok: true, duplicate: true, message: clone(messages.get(dup)!), recipients: [] }
          const c = conversations.get(nm.conversationId)
          if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: nm.conversationId })
          if (!c.members.includes(nm.sender.userId)) throw new ForbiddenError('not a member of this conversation')
          checkMode(c.id, c.encryption, c.upgradeRequired, nm.mode)
          const targets = c.members.flatMap((u) => activeDevices(u)).filter((d) => deviceKey(d) !== deviceKey(nm.sender))
          if (nm.mode === 'e2ee') checkSendCoverage(nm, targets)
          c.lastSeq += 1
          const seq = c.lastSeq
          const m: StoredMessage = {
            id: nm.id, conversationId: c.id, seq, ts: now, kind: 'message', sender: { ...nm.sender },
            clientMessageId: nm.clientMessageId, mode: nm.mode, deleted: false, franking: bind(nm, seq, now),
            ...(nm.sealedBody ? { sealedBody: { ...nm.sealedBody } } : {}),
            ...(nm.attachments?.length ? { attachments: clone(nm.attachments) } : {}),
            ...(nm.senderKey ? { senderKey: { ...nm.senderKey } } : {}),
            ...(nm.expiresAt !== undefined ? { expiresAt: nm.expiresAt } : {}),
          }
          addMessage(m)
          dedup.set(dk, m.id)
          const envs = new Map((nm.envelopes ?? []).map((e) => [deviceKey(e), { type: e.type, ciphertext: e.ciphertext }]))
          const recipients = deliverable(targets, nm).map((d) => deliver(d, m.id, envs.get(deviceKey(d))))
          return { ok: true, duplicate: false, message: clone(m), recipients }
        } catch (error) {
          return { ok: false, error }
        }
      })
    },
    async inboxAfter(device, after, limit, now) {
      const rows = inboxes.get(deviceKey(device)) ?? []
      const out: StoredDelivery[] = []
      for (const r of rows) {
        if (r.inboxId <= after) continue
        const m = messages.get(r.messageId)
        if (!live(m, now)) continue
        out.push({ inboxId: r.inboxId, message: clone(m!), ...(r.envelope ? { envelope: { ...r.envelope } } : {}) })
        if (out.length >= limit) break
      }
      return out
    },
    async ackInbox(device, upTo) {
      const d = mustDevice(device)
      d.inboxCursor = Math.max(d.inboxCursor, Math.min(upTo, d.inboxSeq))
      return d.inboxCursor
    },
    async history(conversationId, viewer, before, limit, now) {
      const list = (bySeq.get(conversationId) ?? []).filter((m) => (before === undefined || m.seq < before) && live(m, now))
      const page = list.slice(-limit).reverse()
      const rows = new Map((inboxes.get(deviceKey(viewer)) ?? []).map((r) => [r.messageId, r]))
      return page.map((m) => {
        const r = rows.get(m.id)
        return { inboxId: r?.inboxId ?? 0, message: clone(m), ...(r?.envelope ? { envelope: { ...r.envelope } } : {}) }
      })
    },
    async deleteMessage({ conversationId, messageId, byUserId, audit }) {
      const m = messages.get(messageId)
      if (!m || m.conversationId !== conversationId || m.kind !== 'message') {
        throw new NotFoundError('unknown message', { resource: 'message', id: messageId })
      }
      if (byUserId !== null && m.sender.userId !== byUserId) throw new ForbiddenError('only the sender may delete a message for everyone')
      if (audit) await self().moderation.audit(audit)
      // A sender-key message's envelopes carry only its chain's distribution: kept (docs/messages.md),
      // also when it is deleted again (the first deletion already cleared senderKey).
      const keep = m.deleted === true || m.senderKey !== undefined
      m.deleted = true
      delete m.sealedBody
      delete m.attachments
      delete m.senderKey
      if (!keep) for (const rows of inboxes.values()) for (const r of rows) if (r.messageId === messageId) delete r.envelope
      return clone(m)
    },
    async messagesSeenBy(userId, conversationId, messageIds) {
      const ids = new Set(messageIds)
      const mine = new Set<string>()
      for (const [k, rows] of inboxes) {
        if (!k.startsWith(`${userId}\n`)) continue
        for (const r of rows) if (ids.has(r.messageId)) mine.add(r.messageId)
      }
      return [...ids]
        .map((id) => messages.get(id))
        .filter((m): m is StoredMessage => !!m && m.conversationId === conversationId && (m.sender.userId === userId || mine.has(m.id)))
        .map(clone)
    },
    async purgeExpired(now) {
      let n = 0
      for (const [id, m] of messages) {
        if (m.expiresAt === undefined || m.expiresAt > now) continue
        messages.delete(id)
        bySeq.set(m.conversationId, (bySeq.get(m.conversationId) ?? []).filter((x) => x.id !== id))
        for (const [k, rows] of inboxes) inboxes.set(k, rows.filter((r) => r.messageId !== id))
        n++
      }
      return n
    },
  }
}
