/**
 * The UI's state, outside any component: wraps one `ParleyClient`, listens to every
 * conversation, and keeps a timeline per conversation (messages with receipts, notices,
 * errors) that components render. Components subscribe and re-render on each change.
 */
import {
  createParleyClient, noticeText, type Conversation, type ErrorPayload, type Message, type ParleyClient,
} from '@parley/client'
import {
  MessageBlockedError, ParleyError, POLICY_TABLE, type EncryptionMode, type Notice, type PolicyManifest, type ReceiptEvent,
  type ReportResult,
} from '@parley/protocol'
import { indexedDbKeyStore } from '@parley/client'
import type { ServerInfo } from '../api.js'
import { demoPlugins } from '../moderation.js'

/** How long a typing indicator stays without a refresh, ms. */
export const TYPING_TTL_MS = 6_000
/** How often this side re-sends "typing" while the user keeps typing, ms. */
export const TYPING_RESEND_MS = 3_000
/** After this long without a keystroke, this side sends "stopped typing", ms. */
export const TYPING_IDLE_MS = 4_000
/** Messages loaded from history when a conversation is first shown. */
export const HISTORY_PAGE = 50

/** Delivery state of an outgoing message, as the sender sees it. */
export type DeliveryState = 'pending' | 'sent' | 'delivered' | 'read' | 'failed'

/** One line of a conversation's timeline. */
export type TimelineItem =
  | { kind: 'message'; key: string; message: Message; delivery: DeliveryState; failure?: string }
  /** `text` is rendered by this app from the notice's code (`noticeText`), never sent by the server. */
  | { kind: 'notice'; key: string; ts: number; text: string; noticeKind: Notice['kind'] }
  | { kind: 'error'; key: string; ts: number; text: string }

/** What the UI shows for one conversation. */
export interface ConversationView {
  id: string
  peer: string
  encryption: EncryptionMode
  items: TimelineItem[]
  unread: number
  peerTyping: boolean
  /** Inline error under the composer (e.g. a blocked message). */
  sendError?: { text: string; code: string }
  lastActivity: number
}

interface Entry {
  convo: Conversation
  view: ConversationView
  historyLoaded: boolean
  typingTimer?: ReturnType<typeof setTimeout>
  typingSentAt: number
  idleTimer?: ReturnType<typeof setTimeout>
  /** Receipts that arrived before their message's server id was known. */
  receipts: Map<string, 'delivered' | 'read'>
}

let counter = 0
const uid = (p: string) => `${p}-${Date.now()}-${++counter}`

/** Human text for an error, never its internals. */
export function describeError(e: unknown): string {
  if (MessageBlockedError.isInstance(e)) {
    const d = e.details as { reason?: string; plugin?: string }
    return `Not sent: ${d.reason ?? 'blocked by moderation'}${d.plugin ? ` (${d.plugin})` : ''}`
  }
  if (ParleyError.isInstance(e)) return `${e.message} [${e.code}]`
  return e instanceof Error ? e.message : String(e)
}

/** The chat state of one signed-in user. */
export class ChatModel {
  readonly userId: string
  readonly info: ServerInfo
  private readonly client: ParleyClient
  private readonly entries = new Map<string, Entry>()
  private readonly listeners = new Set<() => void>()
  /** Notices not tied to a conversation (e.g. a policy change). */
  globalNotices: { key: string; text: string; ts: number }[] = []
  connected = false
  selectedId: string | null = null
  private initialized = false
  version = 0

  private constructor(client: ParleyClient, info: ServerInfo) {
    this.client = client
    this.info = info
    this.userId = client.userId
    this.connected = client.connected
    client.on('ready', () => {
      this.setConnected(true)
      // After a reconnect (e.g. a server restarted under another policy) refresh every
      // conversation's server state, so "upgrade required" is known before the next send.
      // Not on the first connect: signIn() lists once itself.
      if (this.initialized) void this.refresh()
    })
    client.on('disconnect', () => this.setConnected(false))
    client.on('notice', (n) => {
      if (!n.conversationId) {
        // A code from the closed catalogue: the words are this app's, never the server's.
        this.globalNotices = [...this.globalNotices, { key: uid('gn'), text: noticeText(n), ts: n.ts }]
        this.changed()
      }
    })
    client.conversations.on('conversation', (c) => this.attach(c))
    // Messages that arrived while the tab was in the background are read when it comes back.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.selectedId) void this.markRead(this.selectedId)
    })
  }

  /**
   * Signs in as `userId`: opens this browser's key store for the user (one per server data
   * directory) and connects. A fresh device registers its keys first (a second or two).
   */
  static async signIn(userId: string, info: ServerInfo): Promise<ChatModel> {
    const client = await createParleyClient({
      url: location.origin,
      token: userId,
      userId,
      keyStore: indexedDbKeyStore({ name: `parley:${info.instanceId}:${userId}` }),
      plugins: demoPlugins(),
    })
    const model = new ChatModel(client, info)
    await client.whenReady()
    model.connected = true
    for (const c of await client.conversations.list()) model.attach(c)
    model.initialized = true
    model.changed()
    return model
  }

  private async refresh(): Promise<void> {
    try {
      for (const c of await this.client.conversations.list()) {
        const e = this.attach(c)
        if (e.view.encryption !== c.encryption) this.update(e, { encryption: c.encryption })
      }
    } catch {
      // Offline again: the next 'ready' retries.
    }
  }

  get manifest(): PolicyManifest | null {
    return this.client.manifest
  }

  /** The policy the server runs now (the manifest can change at runtime). */
  get policy() {
    return this.client.manifest?.policy ?? this.info.policy
  }

  /** Whether a user may upgrade a server-side conversation under the current policy. */
  get mayUpgrade(): boolean {
    return POLICY_TABLE[this.policy].userMayUpgrade
  }

  /** Conversations, most recent first. */
  conversations(): ConversationView[] {
    return [...this.entries.values()].map((e) => e.view).sort((a, b) => b.lastActivity - a.lastActivity)
  }

  view(id: string | null): ConversationView | undefined {
    return id ? this.entries.get(id)?.view : undefined
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private changed(): void {
    this.version++
    for (const l of this.listeners) l()
  }

  private setConnected(connected: boolean): void {
    this.connected = connected
    this.changed()
  }

  private update(e: Entry, patch: Partial<ConversationView>): void {
    e.view = { ...e.view, ...patch }
    this.changed()
  }

  private push(e: Entry, item: TimelineItem): void {
    this.update(e, { items: [...e.view.items, item], lastActivity: Math.max(e.view.lastActivity, Date.now()) })
  }

  private attach(convo: Conversation): Entry {
    const known = this.entries.get(convo.id)
    if (known) return known
    const e: Entry = {
      convo,
      historyLoaded: false,
      typingSentAt: 0,
      receipts: new Map(),
      view: { id: convo.id, peer: convo.peerUserId, encryption: convo.encryption, items: [], unread: 0, peerTyping: false, lastActivity: 0 },
    }
    this.entries.set(convo.id, e)
    convo.on('message', (m) => this.onMessage(e, m))
    convo.on('receipt', (r) => this.onReceipt(e, r))
    convo.on('typing', (t) => {
      if (t.from.userId === this.userId) return
      clearTimeout(e.typingTimer)
      if (t.typing) e.typingTimer = setTimeout(() => this.update(e, { peerTyping: false }), TYPING_TTL_MS)
      this.update(e, { peerTyping: t.typing })
    })
    // The badge follows the pinned mode; the notice (shown below) says who and why, in this
    // app's words: the server sends a code and ids (`noticeText`), the pin picks the mode sentence.
    convo.on('mode', () => this.update(e, { encryption: convo.encryption }))
    convo.on('notice', (n) => {
      this.update(e, { encryption: convo.encryption })
      this.push(e, { kind: 'notice', key: uid('n'), ts: n.ts, text: noticeText(n, { encryption: convo.encryption }), noticeKind: n.kind })
    })
    convo.on('error', (p: ErrorPayload) => this.push(e, { kind: 'error', key: uid('err'), ts: Date.now(), text: describeError(p.error) }))
    void this.loadHistory(e)
    this.changed()
    return e
  }

  private async loadHistory(e: Entry): Promise<void> {
    if (e.historyLoaded) return
    e.historyLoaded = true
    try {
      const page = await e.convo.history({ limit: HISTORY_PAGE })
      // Live messages may already be here: merge by key, history first.
      const live = e.view.items
      const seen = new Set(live.filter((i) => i.kind === 'message').map((i) => i.key))
      const older: TimelineItem[] = page.messages
        .filter((m) => !seen.has(m.clientMessageId ?? m.id))
        .map((m) => ({ kind: 'message', key: m.clientMessageId ?? m.id, message: m, delivery: 'sent' }))
      const last = page.messages.at(-1)?.ts ?? 0
      this.update(e, { items: [...older, ...live], lastActivity: Math.max(e.view.lastActivity, last) })
    } catch (err) {
      this.push(e, { kind: 'error', key: uid('err'), ts: Date.now(), text: `Could not load history: ${describeError(err)}` })
    }
  }

  private onMessage(e: Entry, m: Message): void {
    const key = m.clientMessageId ?? m.id
    const idx = e.view.items.findIndex((i) => i.kind === 'message' && i.key === key)
    const receipt = e.receipts.get(m.id)
    const delivery: DeliveryState = m.status === 'pending' ? 'pending' : receipt ?? 'sent'
    const item: TimelineItem = { kind: 'message', key, message: m, delivery }
    if (idx >= 0) {
      const items = e.view.items.slice()
      const prev = items[idx] as Extract<TimelineItem, { kind: 'message' }>
      // Never move a row backwards (a late 'sent' after a 'read' receipt).
      items[idx] = prev.delivery === 'read' || prev.delivery === 'delivered' ? { ...item, delivery: prev.delivery } : item
      this.update(e, { items })
      return
    }
    const incoming = !m.outgoing
    this.update(e, {
      items: [...e.view.items, item],
      lastActivity: Math.max(e.view.lastActivity, m.ts),
      unread: incoming && this.selectedId !== e.view.id ? e.view.unread + 1 : e.view.unread,
      peerTyping: incoming ? false : e.view.peerTyping,
    })
    if (incoming && this.selectedId === e.view.id && document.visibilityState === 'visible') void this.markRead(e.view.id)
  }

  private onReceipt(e: Entry, r: ReceiptEvent): void {
    if (r.from.userId === this.userId) return
    const rank = { pending: 0, sent: 1, delivered: 2, read: 3, failed: -1 } as const
    const ids = new Set(r.messageIds)
    for (const id of ids) {
      const prev = e.receipts.get(id)
      if (!prev || rank[r.status] > rank[prev]) e.receipts.set(id, r.status)
    }
    const items = e.view.items.map((i) => {
      if (i.kind !== 'message' || !i.message.outgoing || !ids.has(i.message.id)) return i
      return rank[r.status] > rank[i.delivery] ? { ...i, delivery: r.status } : i
    })
    this.update(e, { items })
  }

  select(id: string | null): void {
    this.selectedId = id
    const e = id ? this.entries.get(id) : undefined
    if (e) {
      this.update(e, { unread: 0 })
      void this.markRead(e.view.id)
    } else this.changed()
  }

  async markRead(id: string): Promise<void> {
    await this.entries.get(id)?.convo.markRead().catch(() => {})
  }

  /** Opens (or finds) the conversation with `peer` and selects it. */
  async open(peer: string): Promise<string> {
    const convo = await this.client.conversations.open(peer)
    const e = this.attach(convo)
    if (e.view.lastActivity === 0) this.update(e, { lastActivity: Date.now() })
    this.select(convo.id)
    return convo.id
  }

  /** Sends `text`; a block (or any failure) becomes the inline send error. */
  async send(id: string, text: string): Promise<boolean> {
    const e = this.entries.get(id)
    if (!e) return false
    this.update(e, { sendError: undefined })
    this.stopTyping(e)
    const before = new Set(e.view.items.map((i) => i.key))
    try {
      await e.convo.send({ text })
      return true
    } catch (err) {
      const failure = describeError(err)
      // Mark the optimistic row of this send (if one appeared) as not sent.
      const items = e.view.items.map((i) =>
        i.kind === 'message' && !before.has(i.key) && i.message.outgoing && i.message.text === text && i.delivery === 'pending'
          ? { ...i, delivery: 'failed' as const, failure }
          : i,
      )
      this.update(e, { items, sendError: { text: failure, code: ParleyError.isInstance(err) ? err.code : 'error' } })
      return false
    }
  }

  /** Call on each keystroke: sends "typing" at most every few seconds, "stopped" when idle. */
  typing(id: string): void {
    const e = this.entries.get(id)
    if (!e) return
    const now = Date.now()
    if (now - e.typingSentAt > TYPING_RESEND_MS) {
      e.typingSentAt = now
      void e.convo.typing(true).catch(() => {})
    }
    clearTimeout(e.idleTimer)
    e.idleTimer = setTimeout(() => this.stopTyping(e), TYPING_IDLE_MS)
  }

  private stopTyping(e: Entry): void {
    clearTimeout(e.idleTimer)
    if (e.typingSentAt === 0) return
    e.typingSentAt = 0
    void e.convo.typing(false).catch(() => {})
  }

  async upgrade(id: string): Promise<void> {
    const e = this.entries.get(id)
    if (!e) return
    await e.convo.upgradeToE2EE()
    this.update(e, { encryption: e.convo.encryption })
  }

  async safetyNumber(id: string) {
    const e = this.entries.get(id)
    if (!e) throw new TypeError(`unknown conversation "${id}"`)
    return e.convo.safetyNumber()
  }

  /** The messages a report would carry: the last `reportDepth` this device saw. */
  reportPreview(id: string): Message[] {
    const e = this.entries.get(id)
    const depth = this.client.manifest?.reportDepth ?? 5
    if (!e) return []
    return e.view.items
      .filter((i): i is Extract<TimelineItem, { kind: 'message' }> => i.kind === 'message' && i.message.status !== 'pending' && i.delivery !== 'failed')
      .map((i) => i.message)
      .slice(-depth)
  }

  async report(id: string, reason: string): Promise<ReportResult> {
    const e = this.entries.get(id)
    if (!e) throw new TypeError(`unknown conversation "${id}"`)
    return e.convo.report({ reason })
  }

  async signOut(): Promise<void> {
    for (const e of this.entries.values()) {
      clearTimeout(e.typingTimer)
      clearTimeout(e.idleTimer)
    }
    await this.client.close()
  }
}
