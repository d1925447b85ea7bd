/**
 * `createParleyClient()` and `ParleyClient`: connection lifecycle (hello, registration,
 * catch-up, outbox flush on every (re)connect), the conversation registry with mode pinning,
 * and the per-conversation operations `Conversation` delegates to.
 */
import {
  ConnectionError, DowngradeRejectedError, NotFoundError, ParleyError, PolicyViolationError, SUPPORTED_PROTOCOL_VERSIONS,
  TimeoutError, UnauthorizedError, errorFromWire, highestMode,
  type ConversationInfo, type FlagEvent, type ModerationPlugin, type PolicyManifest, type ReportResult, type SendResult,
} from '@parley/protocol'
import { pickProvider, safetyNumber, signModeChange, type CryptoProvider } from '@parley/crypto'
import { createPipeline, type Pipeline } from '@parley/moderation'
import { Connection, type SocketClientOptions } from './connection.js'
import { CONNECT_TIMEOUT_MS, DEFAULT_HISTORY_LIMIT } from './constants.js'
import { Conversation, type ConversationHost, type HistoryOptions, type HistoryPage, type ReportOptions } from './conversation.js'
import type { ClientCore } from './core.js'
import { Directory } from './directory.js'
import { Emitter } from './emitter.js'
import { Inbox } from './inbox.js'
import type { JsonValue, KeyStore } from './key-store/key-store.js'
import { readPage, toMessage, toReportEntry } from './message-log.js'
import { Outbox } from './outbox.js'
import { newSelf, refillPreKeys, register } from './registration.js'
import { Sessions } from './sessions.js'
import { K, json, type ConversationRecord, type SelfRecord, type StoredMessage } from './store-layout.js'
import type { ClientEvents, ErrorPayload, Message, ModeEventPayload, SafetyNumber, SendInput } from './types.js'
import { Mutex, randomId } from './util.js'
import { linkExistingDevice } from './device-link.js'

/** Options of {@link createParleyClient}. */
export interface ParleyClientOptions {
  /** Server URL, e.g. `http://localhost:3000`. */
  url: string
  /** Auth token for the server's `authenticate` hook (sent as socket.io `auth.token`); a function is called on every (re)connect. */
  token: string | (() => string | Promise<string>)
  /** Where this device keeps its keys, sessions, outbox and message log. */
  keyStore: KeyStore
  /** Expected user id: the client refuses a server or key store that says otherwise. */
  userId?: string
  /** Device id to use on first run (random by default; kept in the key store afterwards). */
  deviceId?: string
  /** Moderation plugins run locally on E2EE content (the manifest may require some). */
  plugins?: ModerationPlugin[]
  /**
   * Flags those local plugins raise on E2EE content (`where: 'client'`): the same
   * `FlagEvent` shape the server's `onFlag` gets for server-side content. A local plugin that
   * throws or times out is reported as a `PluginFailedError` on the `'error'` event.
   */
  onFlag?: (event: FlagEvent) => void | Promise<void>
  /** X25519/Ed25519 provider; the fastest working one by default (`pickProvider()`). */
  provider?: CryptoProvider
  /** Extra socket.io-client options (transports, path, …). */
  socketOptions?: SocketClientOptions
  /** How long the first run waits for registration, in ms (default 15 s). */
  connectTimeoutMs?: number
  /** @internal Injected clock for tests. */
  now?: () => number
}

/** `client.conversations`. */
export interface Conversations {
  /** Opens (or finds) the 1:1 conversation with `peerUserId`; both sides get the same id. */
  open(peerUserId: string): Promise<Conversation>
  /** Every conversation of this user (from the server, merged with what this device pinned). */
  list(): Promise<Conversation[]>
  /** A conversation this device already knows, by id. */
  get(id: string): Conversation | undefined
  /** `'conversation'`: a conversation this device had not seen (a peer opened it). */
  on(event: 'conversation', listener: (c: Conversation) => void): () => void
}

/**
 * Creates a client and connects. On a fresh key store it waits until the device is registered
 * (identity, device keys, signed device list, prekeys); with existing state it returns at
 * once and connects in the background (queued sends go out when connected).
 * @throws {TypeError} on bad options.
 * @throws {TimeoutError} when a fresh device cannot register within `connectTimeoutMs`.
 * @throws {UnauthorizedError} when the server's user does not match `userId` or the key store.
 * @example
 * const client = await createParleyClient({ url: 'http://localhost:3000', token, keyStore: memoryKeyStore() })
 * const convo = await client.conversations.open('bob')
 * convo.on('message', (m) => console.log(m.sender.userId, m.text))
 * await convo.send({ text: 'hi' })
 */
export async function createParleyClient(options: ParleyClientOptions): Promise<ParleyClient> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const ks = options.keyStore as Partial<KeyStore> | undefined
  if (!ks || typeof ks.get !== 'function' || typeof ks.saveChanges !== 'function' || typeof ks.keys !== 'function') {
    throw new TypeError('"keyStore" expected a KeyStore (memoryKeyStore(), indexedDbKeyStore(), fileKeyStore())')
  }
  if (options.userId !== undefined && (typeof options.userId !== 'string' || options.userId.length === 0)) throw new TypeError('"userId" expected a non-empty string')
  if (options.deviceId !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(options.deviceId)) throw new TypeError('"deviceId" expected 1-64 characters of A-Z a-z 0-9 _ . : -')
  const client = new ParleyClient(options)
  await client._start()
  return client
}

/** A connected Parley device. */
export class ParleyClient {
  /** Conversations of this user. */
  readonly conversations: Conversations
  private readonly emitter: Emitter<ClientEvents>
  private readonly core: ClientCore
  private readonly conn: Connection
  private readonly directory: Directory
  private readonly sessions: Sessions
  private readonly outbox: Outbox
  private readonly inbox: Inbox
  private readonly convos = new Map<string, Conversation>()
  private readonly lock = new Mutex()
  private readonly pipeline: Pipeline
  private selfRecord: SelfRecord | null = null
  private currentManifest: PolicyManifest | null = null
  private negotiated = SUPPORTED_PROTOCOL_VERSIONS[0]!
  private ready = false
  private closed = false
  private readyWaiters: (() => void)[] = []
  private firstRun: { resolve(): void; reject(e: unknown): void } | null = null
  private providerPromise: Promise<CryptoProvider | undefined>
  private downgradeWarned = new Set<string>()

  /** @internal use {@link createParleyClient} */
  constructor(private readonly options: ParleyClientOptions) {
    const now = options.now ?? (() => Date.now())
    this.emitter = new Emitter((e) => this.onListenerError(e))
    this.pipeline = createPipeline({ plugins: options.plugins ?? [], onError: (error) => this.reportError({ error }) })
    this.providerPromise = options.provider ? Promise.resolve(options.provider) : pickProvider().catch(() => undefined)
    this.conn = new Connection({
      url: options.url,
      token: options.token,
      ...(options.socketOptions ? { socketOptions: options.socketOptions } : {}),
      onInvalidFrame: (error) => this.reportError({ error }),
    })
    const self = this
    this.core = {
      store: options.keyStore,
      conn: this.conn,
      events: this.emitter,
      lock: this.lock,
      pipeline: this.pipeline,
      provider: () => this.providerPromise,
      self: () => {
        if (!self.selfRecord) throw new ConnectionError('this device has not registered yet')
        return self.selfRecord
      },
      setSelf: (s) => (self.selfRecord = s),
      manifest: () => self.currentManifest,
      version: () => self.negotiated,
      isReady: () => self.ready,
      whenReady: (ms) => self.whenReady(ms),
      reportError: (p) => self.reportError(p),
      flag: (events) => self.flag(events),
      now,
    }
    this.directory = new Directory(this.core)
    this.sessions = new Sessions(this.core, this.directory)
    const registry = {
      ensure: (id: string) => this.ensure(id),
      record: (id: string) => this.record(id),
      pin: (c: Conversation, _mode: 'e2ee') => this.pin(c),
      upgrade: (c: Conversation) => this.upgrade(c),
      pinChanges: (c: Conversation, mc: ConversationRecord['modeChange'], changes: Record<string, JsonValue | null>, seq?: number) => this.pinChanges(c, mc, changes, seq),
    }
    this.outbox = new Outbox(this.core, this.directory, this.sessions, registry)
    this.inbox = new Inbox(this.core, this.directory, this.sessions, registry)
    this.conversations = {
      open: (peer) => this.open(peer),
      list: () => this.list(),
      get: (id) => this.convos.get(id),
      on: (_event, listener) => this.emitter.on('conversation', listener),
    }
    this.wire()
  }

  /** This device's user id. */
  get userId(): string {
    return this.core.self().userId
  }

  /** This device's id. */
  get deviceId(): string {
    return this.core.self().deviceId
  }

  /** The server's policy manifest (null before the first connect). */
  get manifest(): PolicyManifest | null {
    return this.currentManifest
  }

  /** True when connected, registered and caught up. */
  get connected(): boolean {
    return this.ready
  }

  /** Adds a client-level listener (every conversation's events bubble here). */
  on<E extends keyof ClientEvents & string>(event: E, listener: (payload: ClientEvents[E]) => void): () => void {
    return this.emitter.on(event, listener)
  }

  /** Removes a client-level listener. */
  off<E extends keyof ClientEvents & string>(event: E, listener: (payload: ClientEvents[E]) => void): void {
    this.emitter.off(event, listener)
  }

  /** Resolves when connected, registered and caught up. @throws {TimeoutError} after `timeoutMs`. */
  whenReady(timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
    if (this.ready) return Promise.resolve()
    if (this.closed) return Promise.reject(new ConnectionError('client is closed'))
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.readyWaiters = this.readyWaiters.filter((w) => w !== done)
        reject(new TimeoutError(`not connected within ${timeoutMs} ms`, { operation: 'connect', ms: timeoutMs }))
      }, timeoutMs)
      const done = () => {
        clearTimeout(timer)
        resolve()
      }
      this.readyWaiters.push(done)
    })
  }

  /** Number of messages waiting in the outbox. */
  pendingCount(): Promise<number> {
    return this.outbox.size()
  }

  /**
   * Links a new device of this user: pass the one-time code the new device shows
   * (see {@link requestDeviceLink}). The user identity key is sent encrypted to the new device.
   */
  async linkDevice(code: string): Promise<void> {
    await this.whenReady()
    await linkExistingDevice(this.core, code)
  }

  /** Disconnects and closes the key store. Queued messages stay in the store for next time. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.ready = false
    this.inbox.stop()
    this.conn.close()
    this.firstRun?.reject(new ConnectionError('client closed'))
    await this.inbox.idle().catch(() => {})
    await this.lock.run(async () => {})
    await this.options.keyStore.close()
  }

  // ---- lifecycle ----

  /** @internal */
  async _start(): Promise<void> {
    this.selfRecord = (await this.options.keyStore.get<JsonValue>(K.self)) as SelfRecord | null
    if (this.selfRecord && this.options.userId && this.selfRecord.userId !== this.options.userId) {
      throw new UnauthorizedError(`this key store belongs to "${this.selfRecord.userId}", not "${this.options.userId}"`)
    }
    await this.inbox.load()
    for (const key of await this.options.keyStore.keys(K.conversationPrefix)) {
      const rec = (await this.options.keyStore.get<JsonValue>(key)) as ConversationRecord | null
      if (rec) this.convos.set(rec.info.id, new Conversation(this.host, rec.info, rec.pinned, rec.e2eeSince))
    }
    const fresh = !this.selfRecord?.registered
    const first = fresh ? new Promise<void>((resolve, reject) => (this.firstRun = { resolve, reject })) : null
    this.conn.open()
    if (first) {
      const ms = this.options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        await Promise.race([
          first,
          new Promise((_, reject) => (timer = setTimeout(() => reject(new TimeoutError(`could not register within ${ms} ms`, { operation: 'register', ms })), ms))),
        ])
      } catch (e) {
        this.closed = true
        this.conn.close()
        throw e
      } finally {
        clearTimeout(timer)
        this.firstRun = null
      }
    }
  }

  private wire(): void {
    const conn = this.conn
    conn.socket.on('connect', () => {
      this.onConnect().catch((e) => {
        const error = ParleyError.isInstance(e) ? e : new ConnectionError('connection setup failed')
        if (this.firstRun && !(ConnectionError.isInstance(e) || TimeoutError.isInstance(e))) {
          this.firstRun.reject(error)
          return
        }
        this.reportError({ error })
      })
    })
    conn.socket.on('disconnect', (reason) => {
      this.ready = false
      this.outbox.connectionLost()
      this.emitter.emit('disconnect', { reason: String(reason) })
    })
    conn.socket.on('connect_error', (err) => {
      if (this.firstRun && /unauthori[sz]ed|forbidden/i.test(String(err?.message))) this.firstRun.reject(new UnauthorizedError(String(err.message)))
    })
    conn.handle('message', (d) => this.inbox.onLive(d))
    conn.handle('receipt', (r) => this.convos.get(r.conversationId)?._emit('receipt', r))
    conn.handle('typing', (t) => this.convos.get(t.conversationId)?._emit('typing', t))
    conn.handle('notice', (n) => {
      if (n.conversationId) this.convos.get(n.conversationId)?._emit('notice', n)
      this.emitter.emit('notice', n)
    })
    conn.handle('conversation', (info) => void this.applyInfo(info).catch((e) => this.reportError({ error: e })))
    conn.handle('mode', (m) => void this.onModeEvent(m).catch((e) => this.reportError({ error: e, conversationId: m.conversationId })))
    conn.handle('keys.low', () => void this.lock.run(() => refillPreKeys(this.core)).catch((e) => this.reportError({ error: e })))
    conn.handle('devicelist.changed', (c) => this.directory.markStale(c.userId))
    conn.handle('error', (w) => this.reportError({ error: errorFromWire(w) }))
  }

  private async onConnect(): Promise<void> {
    const store = this.options.keyStore
    let deviceId = this.selfRecord?.deviceId ?? (await store.get<string>('device-id')) ?? this.options.deviceId
    if (!deviceId) {
      deviceId = randomId('d-', 8)
      await store.set('device-id', deviceId)
    }
    const hello = await this.conn.request('hello', { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId })
    if (this.options.userId && hello.userId !== this.options.userId) throw new UnauthorizedError(`server says this token is "${hello.userId}", expected "${this.options.userId}"`)
    if (this.selfRecord && this.selfRecord.userId !== hello.userId) throw new UnauthorizedError(`this key store belongs to "${this.selfRecord.userId}", the server says "${hello.userId}"`)
    this.currentManifest = hello.manifest
    this.negotiated = hello.version
    await this.lock.run(async () => {
      if (!this.selfRecord) {
        this.selfRecord = newSelf(hello.userId, deviceId!)
        await store.set(K.self, json(this.selfRecord))
      }
      if (!hello.registered || !this.selfRecord.registered) await register(this.core)
    })
    this.inbox.resetAcked(hello.inboxCursor)
    await this.inbox.catchUp()
    if (!this.conn.connected) return
    this.ready = true
    this.firstRun?.resolve()
    for (const w of this.readyWaiters.splice(0)) w()
    this.emitter.emit('ready', { manifest: hello.manifest })
    this.outbox.kick()
  }

  // ---- errors ----

  private reportError(p: ErrorPayload): void {
    const error = ParleyError.isInstance(p.error) ? p.error : new ConnectionError(String((p.error as Error)?.message ?? 'error'))
    const payload = { ...p, error }
    if (p.conversationId) this.convos.get(p.conversationId)?._emit('error', payload)
    this.emitter.emit('error', payload)
  }

  private flag(events: FlagEvent[]): void {
    const onFlag = this.options.onFlag
    if (!onFlag) return
    for (const e of events) {
      void Promise.resolve()
        .then(() => onFlag(e))
        .catch((err) => this.onListenerError(err))
    }
  }

  private onListenerError(e: unknown): void {
    // A throwing app listener must not break the client; make it visible without recursion.
    queueMicrotask(() => {
      throw e
    })
  }

  // ---- conversation registry ----

  private async record(id: string): Promise<ConversationRecord | null> {
    return (await this.options.keyStore.get<JsonValue>(K.conversation(id))) as ConversationRecord | null
  }

  private async applyInfo(info: ConversationInfo): Promise<Conversation> {
    const existing = this.convos.get(info.id)
    const rec = await this.record(info.id)
    const pinned = highestMode(rec?.pinned ?? 'server-side', existing ? highestMode(existing.encryption, info.encryption) : info.encryption)
    const next: ConversationRecord = { info, pinned, ...(rec?.modeChange ? { modeChange: rec.modeChange } : {}) }
    if (!rec?.modeChange && info.modeChange) next.modeChange = info.modeChange
    // Born E2EE: everything must be encrypted; upgraded: the upgrade's seq is at most lastSeq.
    if (pinned === 'e2ee') next.e2eeSince = rec?.e2eeSince ?? existing?._e2eeSince ?? (next.modeChange ? info.lastSeq : 0)
    await this.options.keyStore.set(K.conversation(info.id), json(next))
    let c = existing
    if (!c) {
      c = new Conversation(this.host, info, pinned, next.e2eeSince)
      this.convos.set(info.id, c)
      this.emitter.emit('conversation', c)
    } else {
      c._info = info
      const before = c._pinned
      c._pinned = pinned
      if (pinned === 'e2ee') c._e2eeSince = next.e2eeSince
      if (before !== pinned) this.emitMode(c, { conversationId: c.id, encryption: pinned })
    }
    if (pinned === 'e2ee' && info.encryption === 'server-side' && !this.downgradeWarned.has(info.id)) {
      this.downgradeWarned.add(info.id)
      this.reportError({ error: new DowngradeRejectedError('the server describes an end-to-end encrypted conversation as server-side; it stays E2EE', { conversationId: info.id }), conversationId: info.id })
    }
    return c
  }

  private async ensure(id: string): Promise<Conversation> {
    const known = this.convos.get(id)
    if (known) return known
    const { conversations } = await this.conn.request('conversation.list', {})
    for (const info of conversations) if (!this.convos.has(info.id)) await this.applyInfo(info)
    const c = this.convos.get(id)
    if (!c) throw new NotFoundError(`conversation "${id}" is unknown`, { resource: 'conversation', id })
    return c
  }

  /** Pins e2ee now (used when the server refused a readable frame). */
  private async pin(c: Conversation, seq?: number): Promise<void> {
    const changes: Record<string, JsonValue | null> = {}
    const emit = await this.pinChanges(c, undefined, changes, seq)
    await this.options.keyStore.saveChanges(changes)
    emit()
  }

  private async pinChanges(c: Conversation, mc: ConversationRecord['modeChange'], changes: Record<string, JsonValue | null>, seq?: number): Promise<() => void> {
    const rec = (await this.record(c.id)) ?? { info: c._info, pinned: c._pinned }
    const wasE2ee = rec.pinned === 'e2ee' || c._pinned === 'e2ee'
    const next: ConversationRecord = { ...rec, pinned: 'e2ee' }
    if (mc && !rec.modeChange) next.modeChange = mc
    const since = Math.min(rec.e2eeSince ?? Number.MAX_SAFE_INTEGER, c._e2eeSince ?? Number.MAX_SAFE_INTEGER, seq ?? c._info.lastSeq)
    next.e2eeSince = since
    changes[K.conversation(c.id)] = json(next)
    return () => {
      c._pinned = 'e2ee'
      c._e2eeSince = since
      if (!wasE2ee || (mc && !rec.modeChange)) {
        const payload: ModeEventPayload = { conversationId: c.id, encryption: 'e2ee' }
        if (mc) {
          payload.modeChange = mc
          payload.by = { userId: mc.userId, deviceId: mc.deviceId }
        }
        this.emitMode(c, payload)
      }
    }
  }

  private emitMode(c: Conversation, payload: ModeEventPayload): void {
    c._emit('mode', payload)
    this.emitter.emit('mode', payload)
  }

  private async onModeEvent(m: { conversationId: string; encryption: 'server-side' | 'e2ee'; modeChange?: ConversationRecord['modeChange']; seq?: number }): Promise<void> {
    const c = await this.ensure(m.conversationId)
    if (m.encryption === 'server-side') {
      if (c.encryption === 'e2ee') {
        this.reportError({ error: new DowngradeRejectedError('the server tried to switch an end-to-end encrypted conversation back to server-side', { conversationId: c.id }), conversationId: c.id })
      }
      return
    }
    // The signed record (when present) is verified when its mode_change delivery arrives;
    // pinning upward needs no proof: it can only protect more.
    await this.lock.run(() => this.pin(c, m.seq))
  }

  private async open(peerUserId: string): Promise<Conversation> {
    if (typeof peerUserId !== 'string' || peerUserId.length === 0) throw new TypeError('"peerUserId" expected a non-empty string')
    await this.whenReady()
    const { conversation } = await this.conn.request('conversation.open', { peerUserId })
    return this.applyInfo(conversation)
  }

  private async list(): Promise<Conversation[]> {
    await this.whenReady()
    const { conversations } = await this.conn.request('conversation.list', {})
    const out: Conversation[] = []
    for (const info of conversations) out.push(await this.applyInfo(info))
    return out
  }

  // ---- conversation operations ----

  private async upgrade(c: Conversation): Promise<void> {
    if (c.encryption === 'e2ee') return
    await this.whenReady()
    const manifest = this.currentManifest!
    if (manifest.policy === 'server-side') throw new PolicyViolationError('the server policy "server-side" does not allow end-to-end encryption', { policy: manifest.policy })
    const self = this.core.self()
    const modeChange = signModeChange(self.device, { conversationId: c.id, from: 'server-side', to: 'e2ee', userId: self.userId, deviceId: self.deviceId, ts: this.core.now() })
    const { conversation } = await this.conn.request('mode.upgrade', { modeChange })
    await this.lock.run(async () => {
      const changes: Record<string, JsonValue | null> = {}
      const emit = await this.pinChanges(c, modeChange, changes, conversation.lastSeq)
      await this.options.keyStore.saveChanges(changes)
      emit()
    })
    await this.applyInfo(conversation)
  }

  private get host(): ConversationHost {
    const client = this
    return {
      selfUserId: () => client.core.self().userId,
      send: (c, input) => client.send(c, input),
      history: (c, opts) => client.history(c, opts),
      markRead: (c) => client.markRead(c),
      typing: async (c, typing) => {
        await client.whenReady()
        await client.conn.request('typing.send', { conversationId: c.id, typing: typing !== false })
      },
      upgrade: (c) => client.upgrade(c),
      safetyNumber: (c) => client.safetyNumberFor(c),
      acceptIdentity: async (c) => {
        const changed = await client.directory.acceptIdentity(c.peerUserId)
        if (changed) client.outbox.kick()
        return changed
      },
      report: (c, opts) => client.report(c, opts),
      onListenerError: (e) => client.onListenerError(e),
    }
  }

  private send(c: Conversation, input: SendInput): Promise<SendResult> {
    if (this.closed) return Promise.reject(new ConnectionError('client is closed'))
    return this.outbox.enqueue(c, input)
  }

  private async history(c: Conversation, opts: HistoryOptions): Promise<HistoryPage> {
    const limit = opts.limit ?? DEFAULT_HISTORY_LIMIT
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new RangeError(`"limit" expected an integer 1..100, got ${limit}`)
    if (opts.before !== undefined && (!Number.isInteger(opts.before) || opts.before < 0)) throw new RangeError('"before" expected a non-negative integer')
    const local = await readPage(this.options.keyStore, c.id, opts.before, limit)
    const bySeq = new Map<number, Message>(local.map((m) => [m.seq, toMessage(m)]))
    if (this.ready) {
      // Server-side messages from before this device existed are readable from the server.
      try {
        const page = await this.conn.request('history.fetch', { conversationId: c.id, limit, ...(opts.before !== undefined ? { before: opts.before } : {}) })
        for (const d of page.messages) {
          if (bySeq.has(d.seq) || d.kind !== 'message' || d.mode !== 'server-side' || !d.body || !d.franking || d.deleted) continue
          const stored: StoredMessage = {
            id: d.messageId, conversationId: c.id, seq: d.seq, ts: d.ts, sender: d.sender, outgoing: d.sender.userId === this.userId,
            text: d.body.text, attachments: d.body.attachments.map((a) => ({ ...a })), encryption: 'server-side', nf: d.body.nf, ...d.franking,
          }
          bySeq.set(d.seq, toMessage(stored))
        }
      } catch (e) {
        if (!(ConnectionError.isInstance(e) || TimeoutError.isInstance(e))) throw e
      }
    }
    const messages = [...bySeq.values()].sort((a, b) => a.seq! - b.seq!).slice(-limit)
    const page: HistoryPage = { messages }
    if (messages.length === limit && messages[0]!.seq! > 0) page.nextBefore = messages[0]!.seq!
    return page
  }

  private async markRead(c: Conversation): Promise<number> {
    await this.whenReady()
    const readKey = `read/${c.id}`
    const upTo = (await this.options.keyStore.get<number>(readKey)) ?? -1
    const unread: StoredMessage[] = []
    for (const key of await this.options.keyStore.keys(K.messagePrefix(c.id))) {
      const m = (await this.options.keyStore.get<JsonValue>(key)) as StoredMessage | null
      if (m && m.seq > upTo && !m.outgoing) unread.push(m)
    }
    for (let i = 0; i < unread.length; i += 100) {
      await this.conn.request('receipt.send', { conversationId: c.id, messageIds: unread.slice(i, i + 100).map((m) => m.id), status: 'read' })
    }
    if (unread.length > 0) await this.options.keyStore.set(readKey, Math.max(...unread.map((m) => m.seq)))
    return unread.length
  }

  private async safetyNumberFor(c: Conversation): Promise<SafetyNumber> {
    const self = this.core.self()
    const peer = c.peerUserId
    let rec = await this.directory.peer(peer)
    if (!rec && peer !== self.userId) {
      await this.whenReady()
      await this.directory.fetch(peer, { initiate: false }).catch((e) => {
        if (!ParleyError.is(e, 'identity_changed')) throw e
      })
      rec = await this.directory.peer(peer)
    }
    const key = peer === self.userId ? self.user.publicKey : rec?.pending?.identityKey ?? rec?.identityKey
    if (!key) throw new NotFoundError(`no identity key known for "${peer}"`, { resource: 'user', id: peer })
    return safetyNumber({ userId: self.userId, identityKey: self.user.publicKey }, { userId: peer, identityKey: key })
  }

  private async report(c: Conversation, opts: ReportOptions): Promise<ReportResult> {
    if (!opts || typeof opts.reason !== 'string' || opts.reason.length === 0) throw new TypeError('"reason" expected a non-empty string')
    await this.whenReady()
    const depth = this.currentManifest?.reportDepth ?? 5
    let entries: StoredMessage[]
    if (opts.messageIds) {
      const all = await readPage(this.options.keyStore, c.id, undefined, Number.MAX_SAFE_INTEGER)
      entries = opts.messageIds.map((id) => {
        const m = all.find((x) => x.id === id)
        if (!m) throw new NotFoundError(`message "${id}" is not in this device's log`, { resource: 'message', id })
        return m
      }).sort((a, b) => a.seq - b.seq)
    } else {
      entries = await readPage(this.options.keyStore, c.id, undefined, depth)
    }
    return this.conn.request('report.submit', {
      reportId: opts.reportId ?? randomId('r-'),
      conversationId: c.id,
      reason: opts.reason,
      entries: entries.map(toReportEntry),
    })
  }
}

