/**
 * `memoryStore()`: the in-process reference backend. Every method runs synchronously to
 * completion inside one microtask, which makes each one atomic; it validates everything before
 * writing, so a failed call changes nothing. For tests and single-process demos. The state and
 * its helpers are in `_memory-state.ts`; devices, groups, recovery, messages and reports are
 * method groups in `_memory-*.ts`, composed here.
 */
import { ForbiddenError, NotFoundError } from '@parley/protocol'
import { fullAt, modeChangedNotice, pairKey, policyNotice, storedNotice, tokenWaitMs } from './_rules.js'
import type { ConversationRecord, ParleyStore, PendingNotice, Recipient, StoredMessage, UpgradeOutcome } from './store.js'
import { memorySafetyStore } from './safety-memory.js'
import { memorySenderKeyStore } from './sender-key-memory.js'
import { memoryBlobStore } from './blob-memory.js'
import { memoryPushStore } from './push-memory.js'
import { memoryResetTicketStore } from './reset-ticket-memory.js'
import { memoryAttachmentStore } from '../attachments/attachment-memory.js'
import { memoryModerationStore } from './moderation-memory.js'
import { clone, memoryState } from './_memory-state.js'
import { memoryDeviceMethods } from './_memory-devices.js'
import { memoryGroupMethods } from './_memory-groups.js'
import { memoryRecoveryMethods } from './_memory-recovery.js'
import { memoryMessageMethods } from './_memory-messages.js'
import { memoryReportMethods } from './_memory-reports.js'


/**
 * Creates an empty in-memory store.
 * @example const store = memoryStore()
 */
export function memoryStore(): ParleyStore {
  const s = memoryState()
  const { tickets, conversations, pairs, messages, inboxes, notices, reports, buckets, links, activeDevices, deliver, addMessage, mustDevice, addNoticeRow } = s
  const self = () => store

  const store: ParleyStore = {
    kind: 'memory',
    safety: memorySafetyStore(),
    senderKeys: memorySenderKeyStore(),
    blobs: memoryBlobStore(),
    push: memoryPushStore(),
    resetTickets: memoryResetTicketStore(tickets),
    attachments: memoryAttachmentStore(),
    moderation: memoryModerationStore({
      reports: () => reports.values(),
      messages: () => messages.values(),
      envelopes: (id) => [...inboxes.values()].flatMap((rows) => rows.filter((r) => r.messageId === id && r.envelope).map((r) => r.envelope!.ciphertext)),
    }),
    buckets: {
      async take(key, capacity, refillPerSecond, now) {
        const b = buckets.get(key) ?? { tokens: capacity, at: now }
        const tokens = Math.min(capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * refillPerSecond)
        if (tokens < 1) return false
        buckets.set(key, { tokens: tokens - 1, at: now, fullAt: fullAt(capacity, tokens - 1, refillPerSecond, now) })
        return true
      },
    },
    async takeTokens(takes, now) {
      const unique = [...new Map(takes.map((t) => [t.key, t])).values()]
      const levels = unique.map((t) => {
        const b = buckets.get(t.key)
        return b ? Math.min(t.capacity, b.tokens + (Math.max(0, now - b.at) / 1000) * t.refillPerSecond) : t.capacity
      })
      const wait = Math.max(0, ...unique.map((t, i) => tokenWaitMs(levels[i]!, t.refillPerSecond)))
      if (wait > 0) return wait
      unique.forEach((t, i) => buckets.set(t.key, { tokens: levels[i]! - 1, at: now, fullAt: fullAt(t.capacity, levels[i]! - 1, t.refillPerSecond, now) }))
      return 0
    },
    async purgeBuckets(now) {
      let n = 0
      for (const [k, b] of buckets) {
        if (b.fullAt > now) continue
        buckets.delete(k)
        n++
      }
      return n
    },

    ...memoryDeviceMethods(s),

    async openDirectConversation({ id, userIds, mode, upgradeRequired, now }) {
      const key = pairKey(userIds[0], userIds[1])
      const found = pairs.get(key)
      if (found) return { conversation: clone(conversations.get(found)!), created: false }
      const c: ConversationRecord = {
        id, kind: 'direct', members: [...userIds].sort(), encryption: mode, upgradeRequired, createdAt: now, lastSeq: 0,
      }
      conversations.set(id, c)
      pairs.set(key, id)
      return { conversation: clone(c), created: true }
    },
    ...memoryGroupMethods(s),
    async getConversation(id) {
      const c = conversations.get(id)
      return c ? clone(c) : null
    },
    async listConversations(userId) {
      return [...conversations.values()].filter((c) => c.members.includes(userId)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map(clone)
    },
    ...memoryRecoveryMethods(s),
    async upgradeConversation({ conversationId, modeChange, messageId, now }): Promise<UpgradeOutcome> {
      const c = conversations.get(conversationId)
      if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: conversationId })
      if (!c.members.includes(modeChange.userId)) throw new ForbiddenError('not a member of this conversation')
      if (c.encryption === 'e2ee') return { conversation: clone(c), changed: false, recipients: [] }
      c.encryption = 'e2ee'
      c.upgradeRequired = false
      c.modeChange = clone(modeChange)
      c.lastSeq += 1
      const m: StoredMessage = {
        id: messageId, conversationId, seq: c.lastSeq, ts: now, kind: 'mode_change',
        sender: { userId: modeChange.userId, deviceId: modeChange.deviceId }, mode: 'e2ee', modeChange: clone(modeChange), deleted: false,
      }
      addMessage(m)
      const recipients: Recipient[] = []
      for (const u of c.members) for (const d of activeDevices(u)) {
        if (u === modeChange.userId && d.deviceId === modeChange.deviceId) continue
        recipients.push(deliver(d, m.id))
      }
      for (const u of c.members) addNoticeRow(u, modeChangedNotice(conversationId, modeChange.userId, now))
      return { conversation: clone(c), changed: true, message: clone(m), recipients }
    },
    async applyPolicy(next, now) {
      const previous = s.policy
      s.policy = next
      if (previous === null || previous === next) return { previous, changed: false, notices: 0 }
      let n = 0
      for (const c of conversations.values()) {
        if (c.encryption === 'server-side') c.upgradeRequired = next === 'default-e2ee'
        for (const u of c.members) {
          addNoticeRow(u, policyNotice({ policy: next, previous, conversationId: c.id, mode: c.encryption, now }))
          n++
        }
      }
      return { previous, changed: true, notices: n }
    },

    ...memoryMessageMethods(s, self),

    async addNotices(items) {
      for (const { userId, notice } of items) addNoticeRow(userId, notice)
    },
    async pendingNotices(device): Promise<PendingNotice[]> {
      const d = mustDevice(device)
      return notices.filter((n) => n.userId === device.userId && n.id > d.noticeCursor).map((n) => ({ id: n.id, notice: storedNotice(clone(n.notice) as Record<string, unknown>) }))
    },
    async ackNotices(device, upTo) {
      const d = mustDevice(device)
      d.noticeCursor = Math.max(d.noticeCursor, upTo)
    },

    ...memoryReportMethods(s),

    async putLinkRequest(req) {
      links.set(req.codeHash, { ...req })
    },
    async getLinkRequest(codeHash, now) {
      const r = links.get(codeHash)
      return r && r.expiresAt > now ? { ...r } : null
    },
    async deleteLinkRequest(codeHash) {
      links.delete(codeHash)
    },
    async close() {},
  }
  return store
}
