/**
 * `createParleyClient()` and `ParleyClient`: options, the connection lifecycle (hello,
 * registration, catch-up, outbox flush on every (re)connect) and the wiring of server events
 * to the inbox, the conversation registry and the app's listeners (the frames themselves:
 * server-frames.ts; connect, drop and handshake refusals: connection-events.ts; what a
 * conversation object asks of its client: conversations/host.ts).
 */
import {
  ConnectionError, ParleyError, SUPPORTED_PROTOCOL_VERSIONS, TimeoutError, UnauthorizedError,
  type FlagEvent, type PolicyManifest, type SendResult,
} from '@parley/protocol'
import { pickProvider, verifyModeChange, type CryptoProvider } from '@parley/crypto'
import { createPipeline, type Pipeline } from '@parley/moderation'
import { Connection } from './connection.js'
import { wireConnectionEvents } from './connection-events.js'
import { handleServerFrames } from './server-frames.js'
import { CONNECT_TIMEOUT_MS } from './constants.js'
import type { Conversation, ConversationHost } from './conversations/conversation.js'
import { conversationHost } from './conversations/host.js'
import { Receipts } from './receipts/receipts.js'
import type { ClientCore } from './core.js'
import { Directory } from './sessions/directory.js'
import { Emitter } from './emitter.js'
import { Inbox } from './delivery/inbox.js'
import type { JsonValue, KeyStore } from './key-store/key-store.js'
import { Outbox } from './delivery/outbox.js'
import { rotationOptions } from './sessions/prekey-rotation.js'
import { PreKeyUpkeep } from './sessions/prekey-upkeep.js'
import { newSelf, register } from './sessions/registration.js'
import { ConversationRegistry } from './conversations/registry.js'
import { Sessions } from './sessions/sessions.js'
import { cachedStore } from './sessions/record-cache.js'
import { K, json, type SelfRecord } from './store-layout.js'
import type { ClientEvents, ErrorPayload, SendInput } from './types.js'
import { isTransient, Mutex, randomId } from './util.js'
import { linkExistingDevice, type LinkDeviceOptions } from './sessions/device-link.js'
import { Rosters } from './groups/rosters.js'
import { createGroup, type GroupRegistry } from './groups/group-ops.js'
import { editWindowOption } from './messages/actions.js'
import { SafetyControls } from './safety/controls.js'
import type { Requests } from './safety/requests.js'
import type { Users } from './safety/users.js'
import { sayHello } from './sessions/device-auth.js'
import type { Conversations, ParleyClientOptions } from './options.js'
import { LocalSearch, type SearchOptions, type SearchResult } from './search/local-search.js'
import { Backup } from './backup/backup.js'
import { registerPushToken, unregisterPushToken, type PushTokenInput, type PushTokenResult } from './push/push-tokens.js'
import { wireDisappearing, type DisappearingTimers } from './disappearing/timers.js'
import { Attachments } from './attachments/api.js'

export type { Conversations, ParleyClientOptions } from './options.js'

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
  rotationOptions(options.preKeyRotation) // throws RangeError on bad values
  editWindowOption(options.editWindowMs)
  const client = new ParleyClient(options)
  await client._start()
  return client
}

/** A connected Parley device. */
export class ParleyClient {
  /** Conversations of this user. */
  readonly conversations: Conversations
  /** Block, unblock and the blocked list (enforced by the server in every mode). */
  readonly users: Users
  /** Message requests this user received (first contacts it has not accepted). */
  readonly requests: Requests
  /** The encrypted backup of this user's history, pins and identity (docs/recovery.md). */
  readonly backup: Backup
  /** Out-of-band attachments: upload, download, stream (docs/attachments.md). */
  readonly attachments: Attachments
  private readonly localSearch: LocalSearch
  private readonly disappearing: DisappearingTimers
  private readonly emitter: Emitter<ClientEvents>
  private readonly core: ClientCore
  private readonly conn: Connection
  private readonly directory: Directory
  private readonly sessions: Sessions
  private readonly outbox: Outbox
  private readonly inbox: Inbox
  private readonly registry: ConversationRegistry
  private readonly rosters: Rosters
  private readonly groupRegistry: GroupRegistry
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
  private readonly preKeys: PreKeyUpkeep
  private readonly safety: SafetyControls
  private readonly receipts: Receipts
  private hostCache: ConversationHost | undefined

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
    const minimumMode = options.minimumMode ?? 'server-side'
    if (minimumMode !== 'server-side' && minimumMode !== 'e2ee') throw new TypeError('"minimumMode" expected \'server-side\' or \'e2ee\'')
    const self = this
    this.core = {
      store: cachedStore(options.keyStore),
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
      minimumMode: () => minimumMode,
    }
    this.directory = new Directory(this.core)
    this.sessions = new Sessions(this.core, this.directory)
    // Runs after the current inbox batch (which holds the crypto lock) is written.
    this.preKeys = new PreKeyUpkeep(this.core, rotationOptions(options.preKeyRotation), () => this.ready)
    this.sessions.onSignedPreKeyFull = () => this.preKeys.rotateSoon()
    const directory = this.directory
    const registry = new ConversationRegistry(this.core, () => this.host, async (mc) => {
      const entry = await directory.deviceEntry({ userId: mc.userId, deviceId: mc.deviceId })
      return entry !== undefined && verifyModeChange(mc, entry.signingKey)
    })
    this.registry = registry
    this.rosters = new Rosters(this.core, async (d) => (await directory.listedDevice(d))?.signingKey)
    registry.rosters = this.rosters
    this.groupRegistry = { applyInfo: (info) => registry.applyInfo(info), catchUp: () => registry.catchUp(), upgrade: (c) => registry.upgrade(c) }
    this.outbox = new Outbox(this.core, this.directory, this.sessions, {
      ensure: (id) => registry.ensure(id),
      record: (id) => registry.record(id),
      pinRefused: (c) => registry.pinRefused(c),
      upgrade: (c) => registry.upgrade(c),
      refresh: () => registry.refresh(),
    })
    this.inbox = new Inbox(this.core, this.directory, this.sessions, registry, this.rosters)
    this.safety = new SafetyControls(this.core, registry)
    this.users = this.safety.users
    this.requests = this.safety.requests
    this.localSearch = new LocalSearch(this.core.store, this.emitter)
    this.backup = new Backup(this.core)
    this.attachments = new Attachments({ url: options.url, attachmentsUrl: options.attachmentsUrl, token: options.token, provider: () => this.core.provider(), maxDownloadBytes: options.maxDownloadBytes })
    this.disappearing = wireDisappearing(this.core, { conversation: (id) => registry.get(id), applyInfo: (i) => registry.applyInfo(i), listedDevice: (a) => directory.listedDevice(a), forgetSearch: (k) => this.localSearch.forget(k) })
    registry.catchUp = () => (this.conn.connected ? this.inbox.sync() : this.inbox.idle())
    this.receipts = new Receipts({ core: this.core, conversation: (id) => registry.get(id), enqueue: (c, i, r) => this.outbox.enqueue(c, i, r), deliveryReceipts: options.deliveryReceipts !== false, blocked: (u) => this.users.isBlocked(u) })
    this.conversations = {
      open: (peer) => registry.open(peer),
      create: (input) => createGroup(this.core, this.rosters, this.groupRegistry, this.directory, input),
      list: () => registry.list(),
      get: (id) => registry.get(id),
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
   * (see {@link requestDeviceLink}). The user identity key and this device's history are sent encrypted to the new device.
   */
  async linkDevice(code: string, options?: LinkDeviceOptions): Promise<void> {
    await this.whenReady()
    await linkExistingDevice(this.core, code, options)
  }

  /**
   * Full-text search over this device's local message log, the same in every mode: every word
   * of `query` must match (by prefix, tolerating small typos), best first. The query never
   * leaves the device. @throws {TypeError|RangeError} on a bad query or options.
   */
  search(query: string, options?: SearchOptions): Promise<SearchResult[]> {
    return this.localSearch.search(query, options)
  }

  /** Tells the server how to wake this device while offline (docs/push.md). @throws {InvalidFrameError} bad input, nothing sent. */
  registerPushToken(registration: PushTokenInput): Promise<PushTokenResult> { return registerPushToken(this.core, registration) }
  /** Forgets one push registration of this device; false when there was none. */
  unregisterPushToken(id: string): Promise<boolean> { return unregisterPushToken(this.core, id) }

  /** Disconnects and closes the key store. Queued messages stay in the store for next time. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.ready = false
    this.inbox.stop()
    this.disappearing.stop()
    const preKeysStopped = this.preKeys.stop() // timers cleared now; waits for work in progress
    this.conn.close()
    this.firstRun?.reject(new ConnectionError('client closed'))
    await this.inbox.idle().catch(() => {})
    await preKeysStopped
    await this.lock.run(async () => {})
    await this.core.store.close()
  }

  // ---- lifecycle ----

  /** @internal */
  async _start(): Promise<void> {
    this.selfRecord = (await this.options.keyStore.get<JsonValue>(K.self)) as SelfRecord | null
    if (this.selfRecord && this.options.userId && this.selfRecord.userId !== this.options.userId) {
      throw new UnauthorizedError(`this key store belongs to "${this.selfRecord.userId}", not "${this.options.userId}"`)
    }
    await this.inbox.load()
    await this.outbox.load()
    await this.registry.load()
    await this.disappearing.load()
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
    wireConnectionEvents(conn, {
      onConnect: () => this.onConnect(),
      firstRun: () => this.firstRun,
      reportError: (p) => this.reportError(p),
      onDisconnect: (reason) => {
        this.ready = false
        this.outbox.connectionLost()
        const goodbye = conn.goodbye
        this.emitter.emit('disconnect', goodbye ? { reason, code: goodbye.code } : { reason })
      },
    })
    handleServerFrames(conn, {
      core: this.core, emitter: this.emitter, inbox: this.inbox, registry: this.registry, directory: this.directory, preKeys: this.preKeys,
      manifest: () => this.currentManifest, reportError: (p) => this.reportError(p),
    })
    this.safety.wire(conn)
  }

  private async onConnect(): Promise<void> {
    const store = this.options.keyStore
    let deviceId = this.selfRecord?.deviceId ?? (await store.get<string>('device-id')) ?? this.options.deviceId
    if (!deviceId) {
      deviceId = randomId('d-', 8)
      await store.set('device-id', deviceId)
    }
    const hello = await sayHello(this.conn, deviceId, this.selfRecord)
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
    await this.safety.sync() // before catch-up: deliveries are marked with the current request state
    await this.disappearing.sync() // before catch-up: messages caught up get the current timer
    await this.inbox.catchUp()
    // What was cached may be stale after being away (the policy may have moved: a server-side
    // conversation may now need an upgrade on its next send): re-read it before the outbox goes.
    if (this.registry.size > 0) {
      await this.registry.refresh().catch((e) => {
        if (!isTransient(e)) this.reportError({ error: e })
      })
    }
    await this.preKeys.afterCatchUp()
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
    if (p.conversationId) this.registry.get(p.conversationId)?._emit('error', payload)
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

  // ---- conversation operations ----

  private get host(): ConversationHost {
    this.hostCache ??= conversationHost({
      core: this.core, directory: this.directory, registry: this.registry, outbox: this.outbox, receipts: this.receipts,
      safety: this.safety, rosters: this.rosters, groupRegistry: this.groupRegistry, disappearing: this.disappearing,
      editWindowMs: () => editWindowOption(this.options.editWindowMs),
      send: (c, input) => this.send(c, input),
      whenReady: () => this.whenReady(),
      onListenerError: (e) => this.onListenerError(e),
    })
    return this.hostCache
  }

  private send(c: Conversation, input: SendInput): Promise<SendResult> {
    if (this.closed) return Promise.reject(new ConnectionError('client is closed'))
    return this.attachments.send(c, input, (cc, i) => this.outbox.enqueue(cc, i))
  }
}
