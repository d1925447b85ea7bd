/**
 * `memoryStore()`: the in-process reference backend. Every method runs synchronously to
 * completion inside one microtask, which makes each one atomic; it validates everything before
 * writing, so a failed call changes nothing. For tests and single-process demos.
 */
import type { RosterState } from '@parley/crypto'
import {
  DisappearingRejectedError, ForbiddenError, IdentityChangedError, InvalidDeviceListError, NotFoundError, RosterRejectedError,
  type DeviceAddress, type DeviceBundle, type Notice, type Policy, type SignedDeviceList,
} from '@parley/protocol'
import { abandonedIdentityError, checkMode, checkSendCoverage, deliverable, deviceKey, fullAt, modeChangedNotice, pairKey, policyNotice, storedNotice, tokenWaitMs } from './_rules.js'
import type {
  AppendOutcome, ClaimedBundles, ConversationRecord, DeviceRecord, DeviceRegistration, FrankingBinder,
  LinkRequestRecord, NewMessage, ParleyStore, PendingNotice, PreKeyCounts, PreKeyUpload, Recipient, RosterOutcome, RosterWrite, SealedReport, StoredDelivery,
  StoredMessage, UpgradeOutcome, UserRecord,
} from './store.js'
import { memorySafetyStore } from './safety-memory.js'
import { memorySenderKeyStore } from './sender-key-memory.js'
import { memoryBlobStore } from './blob-memory.js'
import { memoryPushStore } from './push-memory.js'
import { consumeMemoryTicket, memoryResetTicketStore, type MemoryResetTickets } from './reset-ticket-memory.js'
import { memoryAttachmentStore } from '../attachments/attachment-memory.js'
import { memoryModerationStore } from './moderation-memory.js'

interface MemDevice extends DeviceRecord {
  signedPreKey: DeviceRegistration['signedPreKey']
  kemLastResort: DeviceRegistration['kemLastResortPreKey']
  oneTime: Map<number, DeviceRegistration['oneTimePreKeys'][number]>
  kemOneTime: Map<number, DeviceRegistration['kemOneTimePreKeys'][number]>
  noticeCursor: number
}
interface InboxRow { inboxId: number; messageId: string; envelope?: StoredDelivery['envelope'] }

const clone = <T>(x: T): T => structuredClone(x)

/**
 * Creates an empty in-memory store.
 * @example const store = memoryStore()
 */
export function memoryStore(): ParleyStore {
  const users = new Map<string, UserRecord>()
  /** Identity keys an account reset abandoned, per user (never pinned again). */
  const abandoned = new Map<string, Set<string>>()
  const tickets: MemoryResetTickets = new Map()
  const devices = new Map<string, MemDevice>()
  const conversations = new Map<string, ConversationRecord>()
  const pairs = new Map<string, string>()
  const messages = new Map<string, StoredMessage>()
  const bySeq = new Map<string, StoredMessage[]>()
  const dedup = new Map<string, string>()
  const inboxes = new Map<string, InboxRow[]>()
  const notices: { id: number; userId: string; notice: Notice }[] = []
  const reports = new Map<string, SealedReport>()
  const buckets = new Map<string, { tokens: number; at: number; fullAt: number }>()
  const links = new Map<string, LinkRequestRecord>()
  const rosters = new Map<string, RosterState>()
  let policy: Policy | null = null
  let noticeSeq = 0

  const activeDevices = (userId: string) =>
    [...devices.values()].filter((d) => d.userId === userId && d.active).sort((a, b) => (a.deviceId < b.deviceId ? -1 : 1))
  const publicDevice = (d: MemDevice): DeviceRecord => ({
    userId: d.userId, deviceId: d.deviceId, signingKey: d.signingKey, identityKey: d.identityKey, active: d.active,
    inboxSeq: d.inboxSeq, inboxCursor: d.inboxCursor,
  })
  const counts = (d: MemDevice): PreKeyCounts => ({ oneTimePreKeys: d.oneTime.size, kemOneTimePreKeys: d.kemOneTime.size })
  const markActive = (userId: string, list: SignedDeviceList) => {
    const listed = new Map(list.devices.map((e) => [e.deviceId, e]))
    for (const d of devices.values()) {
      if (d.userId !== userId) continue
      const e = listed.get(d.deviceId)
      d.active = !!e && e.signingKey === d.signingKey && e.identityKey === d.identityKey
    }
  }
  const deliver = (device: MemDevice, messageId: string, envelope?: StoredDelivery['envelope']): Recipient => {
    device.inboxSeq += 1
    const row: InboxRow = { inboxId: device.inboxSeq, messageId, ...(envelope ? { envelope } : {}) }
    const key = deviceKey(device)
    const list = inboxes.get(key) ?? []
    list.push(row)
    inboxes.set(key, list)
    return { userId: device.userId, deviceId: device.deviceId, inboxId: row.inboxId, ...(envelope ? { envelope } : {}) }
  }
  const addMessage = (m: StoredMessage) => {
    messages.set(m.id, m)
    const list = bySeq.get(m.conversationId) ?? []
    list.push(m)
    bySeq.set(m.conversationId, list)
  }
  const live = (m: StoredMessage | undefined, now: number) => !!m && (m.expiresAt === undefined || m.expiresAt > now)
  const mustDevice = (d: DeviceAddress) => {
    const dev = devices.get(deviceKey(d))
    if (!dev) throw new NotFoundError('device not registered', { resource: 'device', id: d.deviceId })
    return dev
  }

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

    async getUser(userId) {
      const u = users.get(userId)
      return u ? clone(u) : null
    },
    async registerDevice(reg) {
      const existing = users.get(reg.userId)
      if (!existing && abandoned.get(reg.userId)?.has(reg.userIdentityKey)) throw abandonedIdentityError(reg.userId)
      if (!existing) consumeMemoryTicket(tickets, reg.userId, reg.resetTicketHash, reg.now)
      if (existing && existing.identityKey !== reg.userIdentityKey) {
        throw new IdentityChangedError('a different user identity key is pinned for this user', { userId: reg.userId })
      }
      if (existing && reg.deviceList.version < existing.deviceList.version) {
        throw new InvalidDeviceListError('device list version is older than the stored one', { userId: reg.userId })
      }
      const list = existing && reg.deviceList.version === existing.deviceList.version ? existing.deviceList : reg.deviceList
      users.set(reg.userId, { userId: reg.userId, identityKey: reg.userIdentityKey, deviceList: clone(list) })
      const key = deviceKey(reg)
      // The device id came back with new keys (decision 0022): its one-time prekeys are the previous keys' (signed by them, their secrets on the old install).
      const prior = devices.get(key)
      const prev = prior && prior.signingKey === reg.signingKey && prior.identityKey === reg.identityKey ? prior : prior && { ...prior, oneTime: undefined, kemOneTime: undefined }
      const dev: MemDevice = {
        userId: reg.userId, deviceId: reg.deviceId, signingKey: reg.signingKey, identityKey: reg.identityKey, active: true,
        inboxSeq: prev?.inboxSeq ?? 0, inboxCursor: prev?.inboxCursor ?? 0,
        noticeCursor: prev?.noticeCursor ?? noticeSeq,
        signedPreKey: clone(reg.signedPreKey), kemLastResort: clone(reg.kemLastResortPreKey),
        oneTime: prev?.oneTime ?? new Map(), kemOneTime: prev?.kemOneTime ?? new Map(),
      }
      for (const k of reg.oneTimePreKeys) dev.oneTime.set(k.id, clone(k))
      for (const k of reg.kemOneTimePreKeys) dev.kemOneTime.set(k.id, clone(k))
      devices.set(key, dev)
      markActive(reg.userId, list)
    },
    async getDevice(userId, deviceId) {
      const d = devices.get(deviceKey({ userId, deviceId }))
      return d ? publicDevice(d) : null
    },
    async listDevices(userId) {
      return activeDevices(userId).map(publicDevice)
    },
    async setDeviceList(userId, list) {
      const u = users.get(userId)
      if (!u) throw new NotFoundError('unknown user', { resource: 'user', id: userId })
      if (list.version <= u.deviceList.version) {
        throw new InvalidDeviceListError('device list version must increase', { userId })
      }
      u.deviceList = clone(list)
      markActive(userId, list)
    },
    async publishPreKeys(userId, deviceId, keys: PreKeyUpload) {
      const d = mustDevice({ userId, deviceId })
      if (keys.signedPreKey) d.signedPreKey = clone(keys.signedPreKey)
      if (keys.kemLastResortPreKey) d.kemLastResort = clone(keys.kemLastResortPreKey)
      for (const k of keys.oneTimePreKeys ?? []) d.oneTime.set(k.id, clone(k))
      for (const k of keys.kemOneTimePreKeys ?? []) d.kemOneTime.set(k.id, clone(k))
      return counts(d)
    },
    async countPreKeys(userId, deviceId) {
      return counts(mustDevice({ userId, deviceId }))
    },
    async claimBundles(userId, excludeDeviceId): Promise<ClaimedBundles | null> {
      const u = users.get(userId)
      if (!u) return null
      const bundles: DeviceBundle[] = []
      const remaining: ClaimedBundles['remaining'] = []
      for (const d of activeDevices(userId)) {
        if (d.deviceId === excludeDeviceId) continue
        const otId = [...d.oneTime.keys()].sort((a, b) => a - b)[0]
        const kemId = [...d.kemOneTime.keys()].sort((a, b) => a - b)[0]
        const ot = otId === undefined ? undefined : d.oneTime.get(otId)
        const kem = kemId === undefined ? undefined : d.kemOneTime.get(kemId)
        if (otId !== undefined) d.oneTime.delete(otId)
        if (kemId !== undefined) d.kemOneTime.delete(kemId)
        bundles.push({
          deviceId: d.deviceId, signingKey: d.signingKey, identityKey: d.identityKey, signedPreKey: clone(d.signedPreKey),
          kemPreKey: clone(kem ?? d.kemLastResort), kemPreKeyIsLastResort: !kem, ...(ot ? { oneTimePreKey: clone(ot) } : {}),
        })
        remaining.push({ deviceId: d.deviceId, ...counts(d) })
      }
      return { userId, userIdentityKey: u.identityKey, deviceList: clone(u.deviceList), bundles, remaining }
    },

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
    async createGroup(args) {
      const { record, state } = args
      if (conversations.has(record.conversationId)) throw new RosterRejectedError('the group exists already', { conversationId: record.conversationId, version: 1, reason: 'stale' })
      const c: ConversationRecord = {
        id: record.conversationId, kind: 'group', members: [], encryption: args.mode, upgradeRequired: args.upgradeRequired, createdAt: args.now, lastSeq: 0,
      }
      conversations.set(c.id, c)
      return writeRoster(c, [], args)
    },
    async appendRoster(args) {
      const { record } = args
      const c = conversations.get(record.conversationId)
      const held = rosters.get(record.conversationId)
      if (!c || !held) throw new NotFoundError('unknown group', { resource: 'conversation', id: record.conversationId })
      if (held.version !== record.version - 1 || held.head !== record.prev) {
        throw new RosterRejectedError('the roster changed since this record was signed: fetch it and try again', { conversationId: c.id, version: record.version, reason: 'stale' })
      }
      return writeRoster(c, c.members, args)
    },
    async rosterState(id) {
      const r = rosters.get(id)
      return r ? clone(r) : null
    },
    async rosterRecords(id, after, limit) {
      return (bySeq.get(id) ?? []).filter((m) => m.kind === 'roster' && m.roster!.version > after).slice(0, limit).map((m) => ({ record: clone(m.roster!), seq: m.seq }))
    },
    async getConversation(id) {
      const c = conversations.get(id)
      return c ? clone(c) : null
    },
    async listConversations(userId) {
      return [...conversations.values()].filter((c) => c.members.includes(userId)).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1)).map(clone)
    },
    async setDisappearing(setting) {
      const c = conversations.get(setting.conversationId)
      if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: setting.conversationId })
      if ((c.disappearing?.version ?? 0) !== setting.version - 1) {
        throw new DisappearingRejectedError('another member changed the setting first', { conversationId: c.id, version: setting.version, reason: 'stale' })
      }
      c.disappearing = clone(setting)
      return clone(c)
    },
    async resetIdentity(userId, ticket) {
      const was = activeDevices(userId).map((d) => d.deviceId)
      if (ticket) tickets.set(userId, { ...ticket, attempts: 0 })
      const key = users.get(userId)?.identityKey
      if (key !== undefined) abandoned.set(userId, (abandoned.get(userId) ?? new Set()).add(key))
      users.delete(userId)
      for (const d of devices.values()) {
        if (d.userId !== userId) continue
        d.active = false
        d.oneTime.clear()
        d.kemOneTime.clear()
      }
      return { devices: was }
    },
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
      const previous = policy
      policy = next
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
      if (audit) await store.moderation.audit(audit)
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

    async saveReport(report) {
      const key = `${report.reporterUserId}\n${report.reportId}`
      const found = reports.get(key)
      if (found) return { duplicate: true, report: clone(found) }
      reports.set(key, clone(report))
      return { duplicate: false, report: clone(report) }
    },
    async getReport(userId, reportId) {
      const r = reports.get(`${userId}\n${reportId}`)
      return r ? clone(r) : null
    },
    async countReports() {
      return reports.size
    },
    async sealLegacyReports() {
      return 0
    },

    // ---- report coverage ----
    async deliveredAfter(device, conversationId, afterSeq, now) {
      const received = new Set((inboxes.get(deviceKey(device)) ?? []).map((r) => r.messageId))
      let count = 0
      let lastSeq = 0
      for (const m of bySeq.get(conversationId) ?? []) {
        if (m.seq <= afterSeq || m.kind !== 'message' || m.deleted || !live(m, now)) continue
        if (!received.has(m.id) && deviceKey(m.sender) !== deviceKey(device)) continue
        count++
        lastSeq = Math.max(lastSeq, m.seq)
      }
      return { count, lastSeq }
    },

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

  /** Writes a roster record as the next message of `c`, the state, and the inbox rows. */
  function writeRoster(c: ConversationRecord, before: readonly string[], { record, state, messageId, now }: RosterWrite): RosterOutcome {
    c.lastSeq += 1
    c.members = Object.keys(state.members).sort()
    c.rosterVersion = state.version
    rosters.set(c.id, clone(state))
    const m: StoredMessage = {
      id: messageId, conversationId: c.id, seq: c.lastSeq, ts: now, kind: 'roster',
      sender: { userId: record.userId, deviceId: record.deviceId }, mode: c.encryption, roster: clone(record), deleted: false,
    }
    addMessage(m)
    const recipients: Recipient[] = []
    for (const u of [...new Set([...before, ...c.members])].sort()) for (const d of activeDevices(u)) {
      if (u === record.userId && d.deviceId === record.deviceId) continue
      recipients.push(deliver(d, m.id))
    }
    return { conversation: clone(c), message: clone(m), recipients }
  }

  function addNoticeRow(userId: string, notice: Notice) {
    notices.push({ id: ++noticeSeq, userId, notice: clone(notice) })
  }
  return store
}

