/**
 * Everything the hooks show about one conversation, kept once per conversation by the
 * provider: its pinned mode and notices, the message list with pages of history and delivery
 * ticks, typing, and the errors the client reported for it. Listeners are attached while the
 * provider is mounted; notices and receipts are written to the provider's UI store so a
 * reload keeps them.
 */
import type { Conversation, ErrorPayload, Message, SendInput } from '@parley/client'
import type { EncryptionMode, Notice, ReceiptEvent, SendResult } from '@parley/protocol'
import { DEFAULT_PAGE_SIZE, MAX_KEPT_ERRORS } from './constants.js'
import { asHookError, type HookError } from './errors.js'
import { Store } from './external-store.js'
import { applyReceipts, removeMessage, upsertMessages, type MessageView } from './message-list.js'
import { TypingState } from './typing.js'
import { isLater, loadNotices, loadReceipts, saveNotices, saveReceipts, type ReceiptState, type UiStore } from './ui-store.js'

/** An error event of a conversation, with when it arrived. */
export interface ConversationError extends Omit<ErrorPayload, 'error'> {
  error: HookError
  ts: number
}

/** What {@link useConversation} shows. */
export interface ConversationSnapshot {
  /** The real, pinned mode. */
  encryption: EncryptionMode
  /** The server's policy requires an upgrade; the next send does it. */
  upgradeRequired: boolean
  /** Notices of this conversation, oldest first (kept across reloads). */
  notices: readonly Notice[]
  /** Error events of this conversation, oldest first (the last {@link MAX_KEPT_ERRORS}). */
  errors: readonly ConversationError[]
}

/** What {@link useMessages} shows. */
export interface MessagesSnapshot {
  /** Oldest first; pending sends last. A send the client rejected is removed (it was never sent). */
  messages: readonly MessageView[]
  /** The first page is loading. */
  loading: boolean
  /** An older page is loading. */
  loadingMore: boolean
  /** Older history exists (`loadMore()` fetches it). */
  hasMore: boolean
  /** Loading history failed. */
  error: HookError | null
  /** The last `send()` failed: a `MessageBlockedError`, `IdentityChangedError`, … */
  sendError: HookError | null
}

/** The last message that was really sent or received (never a pending or rejected one). */
export interface ConversationActivity {
  lastMessage: Message | null
  /** `ts` of the last message or notice, or when this user opened it; 0 when unknown. */
  lastActivity: number
}

export const INITIAL_MESSAGES: MessagesSnapshot = { messages: [], loading: false, loadingMore: false, hasMore: false, error: null, sendError: null }

/** One conversation's state (see the file comment). */
export class ConversationEntry {
  readonly mode: Store<ConversationSnapshot>
  readonly messages = new Store<MessagesSnapshot>(INITIAL_MESSAGES)
  readonly activity = new Store<ConversationActivity>({ lastMessage: null, lastActivity: 0 })
  readonly typing: TypingState
  private receipts = new Map<string, ReceiptState>()
  private nextBefore: number | undefined
  private firstPage: Promise<void> | null = null
  private offs: (() => void)[] = []
  private restored: Promise<void> | null = null

  constructor(readonly conversation: Conversation, private readonly ui: UiStore, selfUserId: string) {
    this.mode = new Store<ConversationSnapshot>({ encryption: conversation.encryption, upgradeRequired: conversation.upgradeRequired, notices: [], errors: [] })
    this.typing = new TypingState(conversation, selfUserId)
  }

  get attached(): boolean {
    return this.offs.length > 0
  }

  /** Starts listening (idempotent); restores receipts and notices and the last message once. */
  attach(): void {
    if (this.attached) return
    const c = this.conversation
    this.offs = [
      c.on('message', (m) => this.onMessage(m)),
      // Edited, deleted for everyone, reactions (docs/messages.md): the row shows the new state.
      c.on('update', (m) => this.messages.set((s) => ({ ...s, messages: upsertMessages(s.messages, [m], this.receipts) }))),
      c.on('receipt', (r) => this.onReceipt(r)),
      c.on('typing', (t) => this.typing.onEvent(t)),
      c.on('mode', () => this.syncMode()),
      c.on('notice', (n) => this.onNotice(n)),
      c.on('error', (p) => this.onError(p)),
      c.on('expired', (e) => this.onExpired(e.messageIds)),
    ]
    this.restored ??= this.restore()
  }

  detach(): void {
    for (const off of this.offs.splice(0)) off()
    this.typing.dispose()
  }

  /** Re-reads the conversation's mode and `upgradeRequired` (after a list refresh or an upgrade). */
  syncMode(): void {
    this.mode.patch({ encryption: this.conversation.encryption, upgradeRequired: this.conversation.upgradeRequired })
  }

  /** Marks the conversation as active now (the user opened it). */
  touch(now = Date.now()): void {
    if (this.activity.get().lastActivity === 0) this.activity.patch({ lastActivity: now })
  }

  /** Loads the newest page once (`pageSize` from the first caller). */
  loadFirstPage(pageSize = DEFAULT_PAGE_SIZE): Promise<void> {
    this.firstPage ??= this.loadPage(undefined, pageSize, 'loading')
    return this.firstPage
  }

  /** Loads the page before the oldest loaded message; does nothing when there is none. */
  async loadMore(pageSize = DEFAULT_PAGE_SIZE): Promise<void> {
    await this.loadFirstPage(pageSize)
    const s = this.messages.get()
    if (this.nextBefore === undefined || s.loadingMore) return
    await this.loadPage(this.nextBefore, pageSize, 'loadingMore')
  }

  /**
   * Sends `input`. Resolves with the server's ack; on failure the row of this send is removed
   * (the client never sent it: it is no longer queued), `sendError` is set, and the typed
   * error is thrown again.
   */
  async send(input: SendInput): Promise<SendResult> {
    this.messages.patch({ sendError: null })
    this.typing.stop()
    let mine: string | undefined
    const off = this.conversation.on('message', (m) => {
      if (mine === undefined && m.outgoing && m.status === 'pending' && m.text === input.text) mine = m.clientMessageId
    })
    try {
      return await this.conversation.send(input)
    } catch (e) {
      const error = asHookError(e)
      const id = mine
      if (id !== undefined) this.messages.set((s) => ({ ...s, messages: removeMessage(s.messages, id) }))
      this.messages.patch({ sendError: error })
      throw error
    } finally {
      off()
    }
  }

  clearSendError(): void {
    this.messages.patch({ sendError: null })
  }

  clearErrors(): void {
    this.mode.patch({ errors: [] })
  }

  private async loadPage(before: number | undefined, limit: number, flag: 'loading' | 'loadingMore'): Promise<void> {
    this.messages.patch({ [flag]: true, error: null })
    try {
      await this.restored
      const page = await this.conversation.history({ limit, ...(before !== undefined ? { before } : {}) })
      this.nextBefore = page.nextBefore
      this.messages.set((s) => ({ ...s, messages: upsertMessages(s.messages, page.messages, this.receipts), hasMore: page.nextBefore !== undefined, [flag]: false }))
      const last = page.messages.at(-1)
      if (before === undefined && last) this.seen(last)
    } catch (e) {
      this.messages.patch({ [flag]: false, error: asHookError(e) })
    }
  }

  private async restore(): Promise<void> {
    const id = this.conversation.id
    const [receipts, notices] = await Promise.all([
      loadReceipts(this.ui, id).catch(() => new Map<string, ReceiptState>()),
      loadNotices(this.ui, id).catch(() => [] as Notice[]),
    ])
    for (const [messageId, state] of receipts) if (isLater(state, this.receipts.get(messageId))) this.receipts.set(messageId, state)
    this.messages.set((s) => ({ ...s, messages: applyReceipts(s.messages, this.receipts) as MessageView[] }))
    if (notices.length) {
      const live = this.mode.get().notices
      this.mode.patch({ notices: [...notices, ...live].sort((a, b) => a.ts - b.ts) })
      this.activity.patch({ lastActivity: Math.max(this.activity.get().lastActivity, notices.at(-1)!.ts) })
    }
    // The sidebar's preview: the newest message, even before the conversation is opened.
    try {
      const page = await this.conversation.history({ limit: 1 })
      const last = page.messages.at(-1)
      if (last) this.seen(last)
    } catch (e) {
      this.onError({ error: e, conversationId: id })
    }
  }

  private onMessage(m: Message): void {
    if (!m.outgoing) this.typing.stopped(m.sender.userId)
    this.messages.set((s) => ({ ...s, messages: upsertMessages(s.messages, [m], this.receipts) }))
    if (m.status !== 'pending') this.seen(m)
  }

  private seen(m: Message): void {
    const a = this.activity.get()
    if (a.lastMessage && (a.lastMessage.seq ?? 0) > (m.seq ?? 0)) return
    this.activity.set({ lastMessage: m, lastActivity: Math.max(a.lastActivity, m.ts) })
  }

  private onReceipt(r: ReceiptEvent): void {
    let changed = false
    for (const id of r.messageIds) {
      if (isLater(r.status, this.receipts.get(id))) {
        this.receipts.delete(id) // re-insert: the newest receipts are the ones kept
        this.receipts.set(id, r.status)
        changed = true
      }
    }
    if (!changed) return
    this.messages.set((s) => ({ ...s, messages: applyReceipts(s.messages, this.receipts) as MessageView[] }))
    saveReceipts(this.ui, this.conversation.id, this.receipts).catch((e) => this.onError({ error: e }))
  }

  /** Disappearing messages whose timer ran out leave the list (the client deleted them). */
  private onExpired(messageIds: readonly string[]): void {
    const gone = new Set(messageIds)
    const s = this.messages.get()
    const rows = s.messages.filter((r) => !gone.has(r.message.id))
    if (rows.length !== s.messages.length) this.messages.patch({ messages: rows })
  }

  private onNotice(n: Notice): void {
    this.syncMode()
    const notices = [...this.mode.get().notices, n]
    this.mode.patch({ notices })
    this.activity.patch({ lastActivity: Math.max(this.activity.get().lastActivity, n.ts) })
    saveNotices(this.ui, this.conversation.id, notices).catch((e) => this.onError({ error: e }))
  }

  private onError(p: Omit<ErrorPayload, 'error'> & { error: unknown }): void {
    const entry: ConversationError = { ...p, error: asHookError(p.error), ts: Date.now() }
    this.mode.patch({ errors: [...this.mode.get().errors, entry].slice(-MAX_KEPT_ERRORS) })
  }
}
