/**
 * What every handler shares: the store, policy, keys, pipeline, logger, rooms and the
 * delivery helpers. Rooms: `u:<userId>` holds every registered device socket of a user,
 * `d:<userId>\n<deviceId>` one device, `l:<codeHash>` a device waiting to be linked. Rooms
 * work across nodes through the socket.io adapter.
 */
import {
  fromBase64, parseServerFrame, toBase64, ForbiddenError, NotFoundError, type Delivery, type DeviceAddress, type Notice, type PlainBody, type Policy,
  type PolicyManifest,
} from '@parley/protocol'
import type { CryptoProvider, DataKeyring, FrankingKeyring } from '@parley/crypto'
import type { Pipeline } from '@parley/moderation'
import type { Logger } from 'pino'
import type { Socket } from 'socket.io'
import type { GroupCommitter } from './group-commit.js'
import type { ClosureCache } from './moderation/closure-cache.js'
import { pooledRandom } from './nonce-pool.js'
import { openWith, sealWith } from './provider-calls.js'
import { CONVERSATION_CACHE_SIZE, type ErrorContext, type ParleyIo, type ParleyServerOptions } from './options.js'
import type { TokenBucket } from './rate-limit.js'
import type { PushDispatcher } from './push/dispatcher.js'
import type { MessageFiles } from './attachments/message-files.js'
import type { ConversationRecord, ParleyStore, Recipient, StoredDelivery, StoredMessage } from './store/store.js'

/** One connection's state. */
export interface Session {
  socket: Socket
  userId: string
  deviceId?: string
  version?: number
  registered: boolean
  bucket: TokenBucket
  /** The outstanding `hello.challenge` nonce of this connection (single use, short-lived). */
  challenge?: { nonce: string; expiresAt: number }
}

/** The server-wide context handlers run with. */
export interface Ctx {
  io: ParleyIo
  store: ParleyStore
  policy: Policy
  manifest: PolicyManifest
  pipeline: Pipeline
  frankingKeys: FrankingKeyring
  dataKeys: DataKeyring
  /** Runs sealing, opening and franking binding (picked once `ready`; noble until then). */
  crypto?: CryptoProvider
  log: Logger
  options: ParleyServerOptions
  committer: GroupCommitter
  /** Which content hooks some plugin defines (a hook none defines is not run). */
  moderationHooks: Readonly<Record<'checkEnvelope' | 'checkOutgoing' | 'checkIncoming', boolean>>
  conversations: ConversationCache
  /** Which conversations a moderator closed (cached per node, evicted across nodes). */
  closures: ClosureCache
  now: () => number
  reportError: (error: unknown, context: ErrorContext) => void
  /** Calls `onOfflineDelivery` for offline recipients (absent without the option). */
  push?: PushDispatcher
  /** Links and releases the attachments messages name (absent when attachments are off). */
  files?: MessageFiles
  /** Runs work the server must finish before `close()` resolves. */
  track: <T>(p: Promise<T>) => Promise<T>
}

export const userRoom = (userId: string) => `u:${userId}`
export const deviceRoom = (d: DeviceAddress) => `d:${d.userId}\n${d.deviceId}`
export const linkRoom = (codeHash: string) => `l:${codeHash}`
/**
 * Every connection of a user, joined at connect — before `hello`, unlike {@link userRoom}, which
 * only registered devices join. What an account reset disconnects (review finding M3).
 */
export const connectionsRoom = (userId: string) => `c:${userId}`

/** The registered device of a session. @throws {ForbiddenError} before registration. */
export function me(s: Session): DeviceAddress {
  if (!s.deviceId || !s.registered) throw new ForbiddenError('register this device first')
  return { userId: s.userId, deviceId: s.deviceId }
}

/**
 * Conversations cached per node: members never change for 1:1; the mode is re-checked by the
 * store. A group's members change with its roster: the node that stores a roster record puts
 * the new record here; the store checks membership again on every append, so a stale entry on
 * another node can only let through frames that are not stored (typing, receipts).
 */
export class ConversationCache {
  private map = new Map<string, ConversationRecord>()
  constructor(private readonly store: ParleyStore) {}
  async get(id: string): Promise<ConversationRecord | null> {
    const hit = this.map.get(id)
    if (hit) return hit
    const c = await this.store.getConversation(id)
    if (c) this.put(c)
    return c
  }
  put(c: ConversationRecord): void {
    if (this.map.size >= CONVERSATION_CACHE_SIZE) this.map.delete(this.map.keys().next().value!)
    this.map.set(c.id, c)
  }
  /** Drops one entry (another node changed it); the next `get` reads the store. */
  evict(id: string): void {
    this.map.delete(id)
  }
  clear(): void {
    this.map.clear()
  }
}

/**
 * The conversation if `userId` is a member.
 * @throws {NotFoundError} unknown conversation. @throws {ForbiddenError} not a member.
 */
export async function memberOf(ctx: Ctx, conversationId: string, userId: string): Promise<ConversationRecord> {
  const c = await ctx.conversations.get(conversationId)
  if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: conversationId })
  if (!c.members.includes(userId)) throw new ForbiddenError('not a member of this conversation')
  return c
}

const utf8 = new TextEncoder()
const bodyAad = (conversationId: string, messageId: string) => utf8.encode(`parley/body/v1\n${conversationId}\n${messageId}`)
/** Nonces for sealing bodies (one per server-side message), read from the CSPRNG in chunks. */
const nonces = pooledRandom()

/** Seals a server-side body with the current data key (AAD binds conversation and message id). */
export function sealBody(ctx: Ctx, conversationId: string, messageId: string, body: PlainBody): { kid: string; data: string } {
  const kid = ctx.dataKeys.currentKid
  const key = ctx.dataKeys.keys[kid]!
  const sealed = sealWith(key, kid, utf8.encode(JSON.stringify(body)), bodyAad(conversationId, messageId), nonces, ctx.crypto)
  return { kid, data: toBase64(sealed) }
}

/** Opens a sealed body, or undefined (logged) when the key is gone or the seal is broken. */
export function openBody(ctx: Ctx, m: StoredMessage): PlainBody | undefined {
  if (!m.sealedBody) return undefined
  try {
    const plain = openWith(ctx.dataKeys, fromBase64(m.sealedBody.data), bodyAad(m.conversationId, m.id), ctx.crypto)
    return JSON.parse(new TextDecoder().decode(plain)) as PlainBody
  } catch (e) {
    ctx.reportError(e, { where: 'store', event: 'open-body' })
    return undefined
  }
}

/** The wire form of a stored delivery; `body` is passed when already in memory. */
export function toWire(ctx: Ctx, d: StoredDelivery, body?: PlainBody): Delivery {
  const m = d.message
  const out: Delivery = {
    inboxId: d.inboxId, kind: m.kind, messageId: m.id, conversationId: m.conversationId, seq: m.seq, ts: m.ts,
    sender: { ...m.sender }, mode: m.mode,
  }
  if (m.clientMessageId) out.clientMessageId = m.clientMessageId
  if (m.franking) out.franking = { ...m.franking }
  if (m.modeChange) out.modeChange = { ...m.modeChange }
  if (m.roster) out.roster = structuredClone(m.roster)
  if (m.deleted) {
    out.deleted = true
    // Only a sender-key message's envelope outlives its deletion: this device's chain distribution, no content.
    if (d.envelope) out.envelope = { ...d.envelope }
    return out
  }
  if (m.mode === 'server-side' && m.kind === 'message') {
    const b = body ?? openBody(ctx, m)
    if (b) out.body = b
  }
  if (d.envelope) out.envelope = { ...d.envelope }
  if (m.senderKey) out.senderKey = { ...m.senderKey }
  if (m.attachments?.length) out.attachments = m.attachments.map((a) => ({ ...a }))
  return out
}

/** Pushes a freshly stored message to every recipient device, wherever it is connected. */
export function deliver(ctx: Ctx, message: StoredMessage, recipients: Recipient[], body?: PlainBody): void {
  for (const r of recipients) {
    const wire = toWire(ctx, { inboxId: r.inboxId, message, ...(r.envelope ? { envelope: r.envelope } : {}) }, body)
    ctx.io.to(deviceRoom(r)).emit('message', wire)
  }
}

/**
 * Sends stored notices to every connected device of `userIds` (any node) and advances each
 * device's notice cursor; offline devices get theirs on their next hello.
 */
export async function flushNotices(ctx: Ctx, userIds?: string[]): Promise<void> {
  const op = userIds ? ctx.io.in(userIds.map(userRoom)) : ctx.io
  const sockets = await op.fetchSockets()
  for (const s of sockets) {
    const { userId, deviceId } = s.data
    if (!deviceId) continue
    await sendPendingNotices(ctx, { userId, deviceId }, (n) => s.emit('notice', n))
  }
}

/**
 * Emits the device's pending notices through `emit` and advances its cursor. A stored notice
 * that is not a valid catalogue entry (a legacy row beyond repair) is skipped, not sent: clients
 * would refuse it anyway, and the cursor still moves past it.
 */
export async function sendPendingNotices(ctx: Ctx, device: DeviceAddress, emit: (n: Notice) => void): Promise<void> {
  const pending = await ctx.store.pendingNotices(device)
  if (!pending.length) return
  for (const p of pending) {
    if (isValidNotice(p.notice)) emit(p.notice)
    else ctx.log.warn({ noticeId: p.id, kind: p.notice.kind }, 'stored notice is not a valid catalogue entry: skipped')
  }
  await ctx.store.ackNotices(device, pending[pending.length - 1]!.id)
}

function isValidNotice(n: Notice): boolean {
  try {
    parseServerFrame('notice', n)
    return true
  } catch {
    return false
  }
}
