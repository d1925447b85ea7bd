/**
 * The provider's state for one `ParleyClient`: connection status, the conversation list with
 * each conversation's last message, and one {@link ConversationEntry} per conversation.
 * Created during render (no side effects), started by the provider's effect — so nothing
 * listens, loads or reads storage during a server render — and stopped on unmount.
 */
import type { Conversation, ErrorPayload, Message, ParleyClient } from '@parley/client'
import type { EncryptionMode, Notice, PolicyManifest } from '@parley/protocol'
import { ConversationEntry } from './conversation-entry.js'
import { asHookError, type HookError } from './errors.js'
import { Store } from './external-store.js'
import type { UiStore } from './ui-store.js'

/** What {@link useParley} shows besides the client. */
export interface StatusSnapshot {
  /** Connected, registered and caught up. */
  connected: boolean
  /** The server's policy manifest (null before the first connect). */
  manifest: PolicyManifest | null
  /** The last error the client reported that concerns no conversation. */
  error: HookError | null
  /** Notices that concern no conversation (e.g. a policy change), oldest first. */
  notices: readonly Notice[]
}

/** One row of {@link useConversations}. */
export interface ConversationSummary {
  id: string
  conversation: Conversation
  peerUserId: string
  encryption: EncryptionMode
  /** The last message really sent or received: never a pending or rejected send. */
  lastMessage: Message | null
  /** Newest activity, ms (0 when unknown); the list is sorted by it, newest first. */
  lastActivity: number
}

/** What {@link useConversations} shows. */
export interface ConversationsSnapshot {
  conversations: readonly ConversationSummary[]
  loading: boolean
  error: HookError | null
}

export const SERVER_STATUS: StatusSnapshot = { connected: false, manifest: null, error: null, notices: [] }
export const SERVER_CONVERSATIONS: ConversationsSnapshot = { conversations: [], loading: false, error: null }

/** See the file comment. */
export class ParleyRuntime {
  readonly status = new Store<StatusSnapshot>(SERVER_STATUS)
  readonly list = new Store<ConversationsSnapshot>(SERVER_CONVERSATIONS)
  private readonly entries = new Map<string, ConversationEntry>()
  private offs: (() => void)[] = []
  private rebuildQueued = false

  constructor(readonly client: ParleyClient, private readonly ui: UiStore) {}

  get started(): boolean {
    return this.offs.length > 0
  }

  /** Listens to the client and loads the conversation list; returns the stop function. */
  start(): () => void {
    if (this.started) return () => this.stop()
    const c = this.client
    this.status.patch({ connected: c.connected, manifest: c.manifest })
    this.offs = [
      c.on('ready', ({ manifest }) => {
        this.status.patch({ connected: true, manifest })
        // Back after a disconnect: the policy (and so `upgradeRequired`) may have moved.
        void this.refresh()
      }),
      c.on('disconnect', () => this.status.patch({ connected: false })),
      c.on('error', (p: ErrorPayload) => {
        if (!p.conversationId) this.status.patch({ error: asHookError(p.error) })
      }),
      c.on('notice', (n) => {
        if (!n.conversationId) this.status.patch({ notices: [...this.status.get().notices, n] })
      }),
      c.conversations.on('conversation', (convo) => this.add(convo)),
    ]
    for (const e of this.entries.values()) e.attach()
    void this.refresh()
    return () => this.stop()
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off()
    for (const e of this.entries.values()) e.detach()
  }

  /** Re-reads the list from the client (`conversations.list()`). */
  async refresh(): Promise<void> {
    this.list.patch({ loading: true })
    try {
      for (const convo of await this.client.conversations.list()) this.add(convo).syncMode()
      this.list.patch({ loading: false, error: null })
    } catch (e) {
      this.list.patch({ loading: false, error: asHookError(e) })
    }
  }

  /** Opens (or finds) the conversation with `peerUserId` and marks it active. */
  async open(peerUserId: string): Promise<Conversation> {
    const convo = await this.client.conversations.open(peerUserId)
    this.add(convo).touch()
    return convo
  }

  /** The entry of `convo`, created on first use (and attached when the provider runs). */
  entry(convo: Conversation): ConversationEntry {
    return this.add(convo)
  }

  /** The conversation with `id`, when the client knows it. */
  find(id: string): Conversation | undefined {
    return this.entries.get(id)?.conversation ?? this.client.conversations.get(id)
  }

  private add(convo: Conversation): ConversationEntry {
    let e = this.entries.get(convo.id)
    if (e) return e
    e = new ConversationEntry(convo, this.ui, this.client.userId)
    this.entries.set(convo.id, e)
    const rebuild = () => this.rebuild()
    e.activity.subscribe(rebuild)
    e.mode.subscribe(rebuild)
    if (this.started) e.attach()
    this.rebuild()
    return e
  }

  /**
   * Rebuilds the list once per microtask: coalesces bursts, and never notifies React while
   * it renders (a hook may create an entry during render).
   */
  private rebuild(): void {
    if (this.rebuildQueued) return
    this.rebuildQueued = true
    queueMicrotask(() => {
      this.rebuildQueued = false
      this.rebuildNow()
    })
  }

  private rebuildNow(): void {
    const conversations = [...this.entries.values()]
      .map((e): ConversationSummary => ({
        id: e.conversation.id,
        conversation: e.conversation,
        peerUserId: e.conversation.peerUserId,
        encryption: e.mode.get().encryption,
        lastMessage: e.activity.get().lastMessage,
        lastActivity: e.activity.get().lastActivity,
      }))
      .sort((a, b) => b.lastActivity - a.lastActivity)
    this.list.patch({ conversations })
  }
}
