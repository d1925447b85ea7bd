/**
 * `Conversation`: one conversation as the app sees it — a 1:1 (`kind: 'direct'`) or a group
 * (`kind: 'group'`, its members from the verified signed roster) — its real encryption mode
 * (pinned, never lowered), send / history / receipts / typing, the one-way upgrade to E2EE,
 * identity verification, reports, mute and message-request state, and for groups the roster
 * changes (add, remove, leave, setTitle, setRole), and the message actions (edit,
 * deleteForEveryone, react, unreact; replies through `send({ replyTo })`). Events: `message`,
 * `update`, `receipt`, `typing`, `mode`, `notice`, `error`, `mute`, `request`, `members`,
 * `disappearing`, `expired`, `unread`.
 */
import type { ConversationInfo, EncryptionMode, GroupRole, ReportResult, RosterChange, SendResult } from '@parley/protocol'
import type { RosterState } from '@parley/crypto'
import { Emitter } from '../emitter.js'
import type { ConversationEvents, Message, SafetyNumber, SendInput } from '../types.js'
import type { MessageAction } from '../messages/actions.js'
import type { MemberReceipt } from '../receipts/types.js'

/** What a conversation needs from its client (implemented by `ParleyClient`). */
export interface ConversationHost {
  selfUserId(): string
  /** The client's `minimumMode` option. */
  minimumMode(): EncryptionMode
  send(c: Conversation, input: SendInput): Promise<SendResult>
  history(c: Conversation, opts: HistoryOptions): Promise<HistoryPage>
  markRead(c: Conversation): Promise<number>
  typing(c: Conversation, typing: boolean): Promise<void>
  upgrade(c: Conversation): Promise<void>
  safetyNumber(c: Conversation): Promise<SafetyNumber>
  acceptIdentity(c: Conversation): Promise<boolean>
  report(c: Conversation, opts: ReportOptions): Promise<ReportResult>
  onListenerError(e: unknown): void
  /** Safety state (src/safety/): this user's mute and open request of `c`. */
  muted(c: Conversation): boolean
  request(c: Conversation): 'pending' | 'declined' | null
  setMuted(c: Conversation, muted: boolean): Promise<void>
  /** Signs and stores a disappearing-messages setting (src/disappearing/). */
  setDisappearing(c: Conversation, ms: number | null): Promise<void>
  /** The verified timer this device pinned, or null. */
  disappearingMs(c: Conversation): number | null
  /** Signs and sends a roster change of a group, and applies it once the server stored it. */
  changeRoster(c: Conversation, change: RosterChange): Promise<void>
  /** Edit, delete for everyone, react, unreact (messages/actions.ts). */
  act(c: Conversation, action: MessageAction): Promise<SendResult | void>
  /** Receipts and unread counts (receipts/). */
  unreadCount(c: Conversation): number
  receipts(c: Conversation, messageId: string): Promise<MemberReceipt[]>
}

/** Options of `history()`. */
export interface HistoryOptions {
  /** Only messages with `seq` below this (the `nextBefore` of the previous page). */
  before?: number
  /** Page size (default 50, at most 100). */
  limit?: number
}

/** A page of history, oldest first. */
export interface HistoryPage {
  messages: Message[]
  /** Pass as `before` for the next (older) page; absent at the start of history. */
  nextBefore?: number
}

/** Options of `report()`. */
export interface ReportOptions {
  /** Why the user reports (shown to moderators). */
  reason: string
  /** Report these messages (each must be in this device's log) instead of the last N. */
  messageIds?: string[]
  /** Client-chosen id: reporting twice with the same id counts once. Random by default. */
  reportId?: string
}

/**
 * A conversation. Get a 1:1 from `client.conversations.open(userId)`, a group from
 * `client.conversations.create({ members, title })`, any from `list()`.
 */
export class Conversation {
  /** The conversation id, the same for every member. */
  readonly id: string
  private readonly emitter: Emitter<ConversationEvents>
  /** @internal */ _info: ConversationInfo
  /** @internal */ _pinned: EncryptionMode
  /** @internal the verified roster of a group (null for a 1:1, or before it verified). */
  _roster: RosterState | null = null

  /** @internal */
  constructor(private readonly host: ConversationHost, info: ConversationInfo, pinned: EncryptionMode) {
    this.id = info.id
    this._info = info
    this._pinned = pinned
    this.emitter = new Emitter((e) => host.onListenerError(e))
  }

  /** The real mode of this conversation: `'e2ee'` once any participant upgraded, forever. */
  get encryption(): EncryptionMode {
    return this._pinned
  }

  /** `'direct'` (a 1:1) or `'group'`. */
  get kind(): 'direct' | 'group' {
    return this._info.kind
  }

  /**
   * Members' user ids, sorted: both users of a 1:1 (pinned on first sight); for a group, the
   * members of the signed roster this device verified (empty until it verified), never the
   * server's unsigned list.
   */
  get members(): readonly string[] {
    if (this._info.kind !== 'group') return this._info.members
    return this._roster ? Object.keys(this._roster.members).sort() : []
  }

  /** A group's title from its verified roster; `''` for a 1:1. */
  get title(): string {
    return this._roster?.title ?? ''
  }

  /** The verified roster version of a group (0 for a 1:1 or before it verified). */
  get rosterVersion(): number {
    return this._roster?.version ?? 0
  }

  /**
   * The hash of the newest roster record this device verified (base64 SHA-256, the chain head
   * at {@link rosterVersion}), or null for a 1:1 or before it verified. Every member's device
   * that verified the same version shows the same head: apps can show it for comparison.
   */
  get rosterHead(): string | null {
    return this._roster && this._roster.version > 0 ? this._roster.head : null
  }

  /** The role of `userId` in a group by the verified roster, or null (not a member, or a 1:1). */
  roleOf(userId: string): GroupRole | null {
    return this._roster?.members[userId] ?? null
  }

  /** Admins of a group by the verified roster, sorted. */
  get admins(): readonly string[] {
    const m = this._roster?.members ?? {}
    return Object.keys(m).filter((u) => m[u] === 'admin').sort()
  }

  /**
   * Adds users to a group (an admin only): a signed roster record every member verifies.
   * Resolves once the server stored it and this device applied it (`'members'` fires).
   * @throws {RosterRejectedError} `not_admin` / `invalid_change` locally; `stale` when another change got there first (retry).
   * @throws {GroupFullError} past the server's member limit. @throws {MessagingDeniedError} an invitee may not be messaged.
   */
  add(userIds: readonly string[]): Promise<void> {
    return this.host.changeRoster(this, { action: 'add', userIds: [...userIds] })
  }

  /** Removes members from a group (an admin only); they read nothing sent after. @throws as {@link add}. */
  remove(userIds: readonly string[]): Promise<void> {
    return this.host.changeRoster(this, { action: 'remove', userIds: [...userIds] })
  }

  /** Leaves a group (the last admin must promote another member first). @throws as {@link add}. */
  leave(): Promise<void> {
    return this.host.changeRoster(this, { action: 'leave' })
  }

  /** Sets a group's title (an admin only). @throws as {@link add}. */
  setTitle(title: string): Promise<void> {
    return this.host.changeRoster(this, { action: 'title', title })
  }

  /** Makes a member an admin or a member (an admin only). @throws as {@link add}. */
  setRole(userId: string, role: GroupRole): Promise<void> {
    return this.host.changeRoster(this, { action: 'role', userId, role })
  }

  /** The other member's user id. */
  get peerUserId(): string {
    const me = this.host.selfUserId()
    return this._info.members.find((m) => m !== me) ?? me
  }

  /** True when the server's policy requires an upgrade before the next send (done automatically). */
  get upgradeRequired(): boolean {
    if (this._pinned !== 'e2ee') return this._info.upgradeRequired
    // minimumMode 'e2ee' pinned it locally: the server still needs this device's signed upgrade.
    return this._info.encryption !== 'e2ee' && this.host.minimumMode() === 'e2ee'
  }

  /**
   * True when this user muted the conversation (on any of its devices): the app should not
   * notify for it. Synced from the server at connect and live afterwards.
   */
  get muted(): boolean {
    return this.host.muted(this)
  }

  /**
   * `'pending'` or `'declined'` while this conversation is an open message request for this
   * user (a first contact it has not accepted: render no link previews or attachments by
   * default; `client.requests` accepts or declines it); null otherwise.
   */
  get request(): 'pending' | 'declined' | null {
    return this.host.request(this)
  }

  /**
   * The disappearing-messages timer in ms this device verified and pinned (a member's signed
   * setting), or null when off. Messages logged while it is on are deleted from this device
   * (log and search index) `ms` after their server timestamp, and from the server.
   */
  get disappearingMs(): number | null {
    return this.host.disappearingMs(this)
  }

  /**
   * Sets (or, with null, turns off) the disappearing-messages timer; any member may, in every
   * mode. The setting is signed by this device; every member's device verifies it and emits
   * `'disappearing'`. Applies to messages sent after it; reported messages stay in reports.
   * @throws {TypeError} `ms` is not a number or null. @throws {RangeError} `ms` is not an integer in
   *   `MIN_DISAPPEARING_MS`..`MAX_DISAPPEARING_MS`. @throws {DisappearingRejectedError} refused by the server,
   *   or (`stale`) accepted there while another setting stands on this device: it resolves only once pinned here.
   * @example await convo.setDisappearing(24 * 60 * 60 * 1000) // one day
   */
  setDisappearing(ms: number | null): Promise<void> {
    return this.host.setDisappearing(this, ms)
  }

  /** Mutes the conversation for this user, on every device. Idempotent. */
  mute(): Promise<void> {
    return this.host.setMuted(this, true)
  }

  /** Unmutes the conversation for this user, on every device. Idempotent. */
  unmute(): Promise<void> {
    return this.host.setMuted(this, false)
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ConversationEvents & string>(event: K, listener: (payload: ConversationEvents[K]) => void): () => void {
    return this.emitter.on(event, listener)
  }

  /** Removes a listener. */
  off<K extends keyof ConversationEvents & string>(event: K, listener: (payload: ConversationEvents[K]) => void): void {
    this.emitter.off(event, listener)
  }

  /** @internal */
  _emit<K extends keyof ConversationEvents & string>(event: K, payload: ConversationEvents[K]): void {
    this.emitter.emit(event, payload)
  }

  /**
   * Sends a message in the conversation's real mode. Emits an optimistic `message`
   * (`status: 'pending'`) at once, and resolves with the server's ack once the message is
   * durable on the server. Queued while offline (and across restarts); resent with the same
   * `clientMessageId`, so the server stores it once.
   * @throws {MessageBlockedError} a local moderation plugin blocked it (E2EE; nothing sent).
   * @throws {MissingPluginError} the server requires a moderation plugin this client lacks (E2EE).
   * @throws {IdentityChangedError} the peer's identity key changed; call `acceptIdentity()` first.
   * @throws {TypeError} / {RangeError} on bad input.
   * @example
   * const ack = await convo.send({ text: 'hi' })
   * console.log(ack.seq, ack.messageId)
   */
  send(input: SendInput): Promise<SendResult> {
    return this.host.send(this, input)
  }

  /**
   * Edits a message this user sent, within the edit window (`editWindowMs`, default 15
   * minutes): a new franked message, signed by this device, that refers to it. Every member's
   * device shows the latest text (`'update'`, `editedAt`, `versions`); moderation hooks run
   * on the new text as on a send. Resolves with the edit's own ack.
   * @throws {UnknownMessageError} not in this device's log (or deleted). @throws {NotYourMessageError}
   * @throws {EditWindowClosedError} @throws {MessageBlockedError} as `send()`. @throws {TypeError} / {RangeError} on bad text.
   * @example await convo.edit(message.id, { text: 'fixed typo' })
   */
  edit(messageId: string, input: { text: string }): Promise<SendResult> {
    return this.host.act(this, { kind: 'edit', messageId, text: input?.text }) as Promise<SendResult>
  }

  /**
   * Deletes a message this user sent, for everyone: a signed tombstone every member's device
   * verifies (it hides the message and says who deleted it: `deleted.by`), then the server
   * drops the body or ciphertext. A report made before keeps the message.
   * @throws {UnknownMessageError} @throws {NotYourMessageError}
   * @example await convo.deleteForEveryone(message.id)
   */
  async deleteForEveryone(messageId: string): Promise<void> {
    await this.host.act(this, { kind: 'delete', messageId })
  }

  /**
   * Reacts to a message with one emoji (aggregated on `Message.reactions`, one per user and
   * emoji); franked, signed and moderated as content.
   * @throws {BadEmojiError} @throws {UnknownMessageError}
   * @example await convo.react(message.id, '👍')
   */
  react(messageId: string, emoji: string): Promise<SendResult> {
    return this.host.act(this, { kind: 'react', messageId, emoji }) as Promise<SendResult>
  }

  /** Removes this user's reaction `emoji` from a message. @throws as {@link react}. */
  unreact(messageId: string, emoji: string): Promise<SendResult> {
    return this.host.act(this, { kind: 'unreact', messageId, emoji }) as Promise<SendResult>
  }

  /**
   * A page of history, oldest first: what this device saw (E2EE content exists only on
   * devices), plus server-side messages from before this device existed.
   */
  history(opts: HistoryOptions = {}): Promise<HistoryPage> {
    return this.host.history(this, opts)
  }

  /**
   * Marks every message of this device's log read on all of this user's devices: the unread
   * count drops to 0 at once and a signed `read` receipt (E2EE-encrypted in E2EE conversations)
   * goes to the members and this user's other devices. Resolves with how many were unread,
   * once the receipt is acked (docs/messages.md, "Receipts").
   * @example convo.on('unread', ({ count }) => setBadge(count)); await convo.markRead()
   */
  markRead(): Promise<number> {
    return this.host.markRead(this)
  }

  /**
   * Messages of other users after this user's read marker, counted on this device from its own
   * log (never a server count). Updated live: listen to `'unread'`.
   */
  get unreadCount(): number {
    return this.host.unreadCount(this)
  }

  /**
   * Per-member state of a message in this device's log, from verified receipts: every device
   * (but the sender's) that stored it (`delivered`) or whose user read it (`read`).
   * @throws {UnknownMessageError} the message is not in this device's log (or is an action).
   * @example (await convo.receipts(sent.messageId)).filter((r) => r.status === 'read').map((r) => r.userId)
   */
  receipts(messageId: string): Promise<MemberReceipt[]> {
    return this.host.receipts(this, messageId)
  }

  /** Tells the peer this user is typing (or stopped, with `false`). Never stored. */
  typing(typing = true): Promise<void> {
    return this.host.typing(this, typing)
  }

  /**
   * Upgrades this conversation to end-to-end encryption with a signed, one-way `ModeChange`.
   * Idempotent once E2EE.
   * @throws {PolicyViolationError} when the server policy is `server-side`.
   */
  upgradeToE2EE(): Promise<void> {
    return this.host.upgrade(this)
  }

  /** The safety number of this device's user and the peer (compare it out of band). */
  safetyNumber(): Promise<SafetyNumber> {
    return this.host.safetyNumber(this)
  }

  /**
   * Accepts the peer's changed identity key (after comparing safety numbers): unblocks
   * sending. Returns false when no change was pending.
   */
  acceptIdentity(): Promise<boolean> {
    return this.host.acceptIdentity(this)
  }

  /**
   * Reports the conversation: the last N messages this device saw (N = the manifest's
   * `reportDepth`), each with its franking opening, so the server can verify them.
   * @throws {NotFoundError} when a given message id is not in this device's log.
   */
  report(opts: ReportOptions): Promise<ReportResult> {
    return this.host.report(this, opts)
  }
}
