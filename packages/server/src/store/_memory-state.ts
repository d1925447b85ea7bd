/**
 * The memory store's state: every map `memoryStore()` keeps and the small helpers over them
 * (active devices, inbox delivery, messages by seq, notices). One per store, shared by the
 * `_memory-*.ts` method groups the factory composes; `policy` and `noticeSeq` are fields of it,
 * as methods change them.
 */
import type { RosterState } from '@parley/crypto'
import { NotFoundError, type DeviceAddress, type Notice, type Policy, type SignedDeviceList } from '@parley/protocol'
import { deviceKey } from './_rules.js'
import type {
  ConversationRecord, DeviceRecord, DeviceRegistration, LinkRequestRecord, PreKeyCounts, Recipient, SealedReport, StoredDelivery, StoredMessage, UserRecord,
} from './store.js'
import type { MemoryResetTickets } from './reset-ticket-memory.js'

export interface MemDevice extends DeviceRecord {
  signedPreKey: DeviceRegistration['signedPreKey']
  kemLastResort: DeviceRegistration['kemLastResortPreKey']
  oneTime: Map<number, DeviceRegistration['oneTimePreKeys'][number]>
  kemOneTime: Map<number, DeviceRegistration['kemOneTimePreKeys'][number]>
  noticeCursor: number
}
export interface InboxRow { inboxId: number; messageId: string; envelope?: StoredDelivery['envelope'] }

export const clone = <T>(x: T): T => structuredClone(x)

/** The state the memory store's methods share. */
export type MemoryState = ReturnType<typeof memoryState>

/** An empty state with its helpers. */
export function memoryState() {
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
  const s = {
    users, abandoned, tickets, devices, conversations, pairs, messages, bySeq, dedup, inboxes, notices, reports, buckets, links, rosters,
    policy: null as Policy | null,
    noticeSeq: 0,
    activeDevices, publicDevice, counts, markActive, deliver, addMessage, live, mustDevice, addNoticeRow,
  }

  function addNoticeRow(userId: string, notice: Notice) {
    notices.push({ id: ++s.noticeSeq, userId, notice: clone(notice) })
  }
  return s
}
