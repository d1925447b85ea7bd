/**
 * `createParleyServer`: mounts Parley on a socket.io server. Connection flow: handshake auth
 * (`authenticate`) → manifest → `hello` → `device.register` (first time) → everything else.
 * Every inbound frame is rate-limited, schema-validated and answered with a typed ack; no
 * handler can throw out or crash the process, and nothing is logged about message content.
 */
import { randomBytes } from 'node:crypto'
import { Server } from 'socket.io'
import pino from 'pino'
import {
  MAX_GROUP_MEMBERS,
  buildManifest, checkClientFrameBounds, CLIENT_FRAME_SCHEMAS, ConnectionError, errorToWire, InvalidFrameError, isPolicy, MAX_FRAME_BYTES,
  parseClientFrame, parseWith, ParleyError, RateLimitedError, StoreError, UnauthorizedError, UserIdSchema,
  type AckResponse, type ClientEventName, type Policy, type VerifiedReport,
} from '@parley/protocol'
import { generateDataKey, generateFrankingKey, pickProvider } from '@parley/crypto'
import { createPipeline } from '@parley/moderation'
import { connectionsRoom, ConversationCache, flushNotices, type Ctx, type Session } from './context.js'
import { GroupCommitter } from './group-commit.js'
import { createModerationApi, suspendedError, type ModerationApi } from './moderation/api.js'
import { CLOSED_EVENT, ClosureCache } from './moderation/closure-cache.js'
import { createDisclosureApi, type DisclosureApi } from './moderation/disclosure.js'
import { HANDLERS } from './handlers/index.js'
import {
  BUCKET_PURGE_INTERVAL_MS, CONCURRENT_COMMITS, DEFAULT_CONNECTION_LIMIT, DEFAULT_HELLO_TIMEOUT_MS, MAX_GROUP_COMMIT, MAX_HELLO_TIMEOUT_MS, DEFAULT_MAX_CONNECTIONS_PER_USER, DEFAULT_PURGE_INTERVAL_MS, DEFAULT_SIGNATURE_LIMIT, DEFAULT_USER_LIMIT, DEFAULT_USER_SIGNATURE_LIMIT, DRAIN_TIMEOUT_MS, GOODBYE_FLUSH_MS,
  LINK_TTL_MS, MAX_UNREGISTERED_SESSION_TIMEOUT_MS, type ErrorContext, type ParleyIo, type ParleyServerOptions,
} from './options.js'
import { checkLimit, takeOrThrow, TokenBucket } from './rate-limit.js'
import { MAX_FRAME_SIGNATURES, signatureCost } from './frame-cost.js'
import { DISAPPEARING_EVENT, onDisappearingBroadcast } from './disappearing/events.js'
import { resetIdentity, type IdentityResetOptions, type IdentityResetResult } from './recovery/reset-identity.js'
import { parleyParser, RefusedFrame, refusedFrameError } from './transport/frame-decoder.js'
import { attachRedisAdapter } from './redis.js'
import { coalesceWrites } from './write-coalescing.js'
import { ConnectionDeadline } from './connection-deadline.js'
import { bindWith } from './provider-calls.js'
import { checkPushOptions, PushDispatcher } from './push/dispatcher.js'
import { DEFAULT_PUSH_COALESCE_MS } from './push/types.js'
import { openReport, sealReportBody } from './report-seal.js'
import type { ParleyStore } from './store/store.js'
import { storeUnavailable } from './store/sql-driver.js'
import { mountAttachments, type MountedAttachments } from './attachments/mount.js'
import type { AttachmentStore } from './attachments/attachment-store.js'
import type { Server as HttpServer } from 'node:http'

/** A running Parley server. */
export interface ParleyServer {
  /** The socket.io server (typed). */
  readonly io: ParleyIo
  /** Resolves once the store is open, the policy recorded and the adapter attached. */
  readonly ready: Promise<void>
  /** The store (after `ready`). */
  store(): ParleyStore
  /** The current policy. */
  readonly policy: Policy
  /**
   * Switches the policy at runtime: e2ee conversations stay e2ee, server-side ones follow the
   * new policy, every participant gets a notice (now if connected, else on next hello), every
   * connection gets the new manifest. @throws {TypeError} on an unknown policy.
   */
  setPolicy(policy: Policy): Promise<void>
  /**
   * A stored report, opened with the data keys (reports are sealed at rest); null when unknown.
   * @throws {StoreError} when its data key is no longer in `dataKeys`.
   */
  getReport(reporterUserId: string, reportId: string): Promise<VerifiedReport | null>
  /**
   * Account reset without a backup (docs/recovery.md): call after your own re-authentication of
   * the user. Revokes every device, forgets the pinned identity; the next device registers a
   * new one and peers must accept it. @throws {TypeError|RangeError} bad input. @throws {NotFoundError} unknown user.
   * @example await parley.resetIdentity('alice', { reason: 'lost every device; re-verified by e-mail' })
   */
  resetIdentity(userId: string, options: IdentityResetOptions): Promise<IdentityResetResult>
  /** Moderator actions on users, devices, conversations, messages and reports; see docs/moderation.md. */
  readonly moderation: ModerationApi
  /** What the server holds for a user or conversation, per mode (for lawful requests); see docs/choosing-a-mode.md. */
  readonly disclosure: DisclosureApi
  /** Sizes of the group-commit batches so far (for benchmarks). */
  readonly batchSizes: readonly number[]
  /** The attachment store behind the HTTP routes (docs/attachments.md); null when they are off. */
  attachments(): AttachmentStore | null
  /**
   * Graceful shutdown: refuses new frames, waits (up to `DRAIN_TIMEOUT_MS`) for in-flight
   * frames to be acked, then closes socket.io (when Parley created it), Redis and the store.
   */
  close(): Promise<void>
}

function validateOptions(o: ParleyServerOptions): void {
  if (!o || typeof o !== 'object') throw new TypeError('"options" expected an object')
  if (!o.io === !o.httpServer) throw new TypeError('exactly one of "io" or "httpServer" is required')
  if (!isPolicy(o.policy)) throw new TypeError(`"policy" expected one of server-side, optional-e2ee, default-e2ee`)
  if (typeof o.authenticate !== 'function') throw new TypeError('"authenticate" expected a function')
  if (!o.store) throw new TypeError('"store" expected a ParleyStore or a promise of one')
  if (o.canMessage !== undefined && typeof o.canMessage !== 'function') throw new TypeError('"canMessage" expected a function')
  checkPushOptions(o)
  if (o.maxGroupMembers !== undefined && (!Number.isInteger(o.maxGroupMembers) || o.maxGroupMembers < 2 || o.maxGroupMembers > MAX_GROUP_MEMBERS)) {
    throw new RangeError(`"maxGroupMembers" expected an integer 2..${MAX_GROUP_MEMBERS}, got ${String(o.maxGroupMembers)}`)
  }
  const l = o.limits ?? {}
  if (l.connection) checkLimit('connection', l.connection)
  if (l.user) checkLimit('user', l.user)
  if (l.reports) checkLimit('reports', l.reports)
  if (l.keysFetch) checkLimit('keysFetch', l.keysFetch)
  if (l.keysFetchPerTarget) checkLimit('keysFetchPerTarget', l.keysFetchPerTarget)
  if (l.signatures) checkLimit('signatures', l.signatures, MAX_FRAME_SIGNATURES)
  if (l.userSignatures) checkLimit('userSignatures', l.userSignatures, MAX_FRAME_SIGNATURES)
  if (l.maxConnectionsPerUser !== undefined && (!Number.isSafeInteger(l.maxConnectionsPerUser) || l.maxConnectionsPerUser < 1)) {
    throw new RangeError(`"limits.maxConnectionsPerUser" expected a positive integer, got ${String(l.maxConnectionsPerUser)}`)
  }
  if (l.helloTimeoutMs !== undefined && (!Number.isSafeInteger(l.helloTimeoutMs) || l.helloTimeoutMs < 1 || l.helloTimeoutMs > MAX_HELLO_TIMEOUT_MS)) {
    throw new RangeError(`"limits.helloTimeoutMs" expected an integer 1..${MAX_HELLO_TIMEOUT_MS}, got ${String(l.helloTimeoutMs)}`)
  }
  const u = l.unregisteredSessionTimeoutMs
  if (u !== undefined && (!Number.isSafeInteger(u) || u < 1 || u > MAX_UNREGISTERED_SESSION_TIMEOUT_MS)) {
    throw new RangeError(`"limits.unregisteredSessionTimeoutMs" expected an integer 1..${MAX_UNREGISTERED_SESSION_TIMEOUT_MS}, got ${String(u)}`)
  }
  for (const kr of ['frankingKeys', 'dataKeys'] as const) {
    const ring = o[kr]
    if (ring && !(ring.keys?.[ring.currentKid] instanceof Uint8Array)) throw new TypeError(`"${kr}.keys" must contain currentKid "${ring.currentKid}"`)
  }
}

/**
 * Creates the Parley server.
 * @throws {TypeError} on invalid options (a missing store, policy, or both/neither of io/httpServer).
 * @example
 * const parley = createParleyServer({
 *   httpServer, policy: 'optional-e2ee', store: pgliteStore({ dataDir: './.parley-data' }),
 *   authenticate: async (hs) => ({ userId: await verifyJwt(hs.auth.token) }),
 * })
 * await parley.ready
 */
export function createParleyServer(options: ParleyServerOptions): ParleyServer {
  validateOptions(options)
  const log = options.logger ?? pino({ level: 'info', name: 'parley' })
  const ownsIo = !options.io
  const io: ParleyIo = options.io ?? new Server(options.httpServer, {
    maxHttpBufferSize: MAX_FRAME_BYTES, parser: parleyParser, path: options.path ?? '/socket.io', ...(options.cors ? { cors: options.cors } : {}),
  })
  // An integrator's own socket.io server without Parley's parser parses every packet whole before any check (decision 0010).
  if (!ownsIo && (io as unknown as { _parser?: unknown })._parser !== parleyParser) log.warn('the socket.io server given as `io` lacks `parser: parleyParser`: oversized packets are parsed before they are refused')
  const now = options.now ?? Date.now
  if (!options.frankingKeys || !options.dataKeys) log.warn('no frankingKeys/dataKeys given: using random per-process keys (not for production)')
  const frankingKeys = options.frankingKeys ?? { currentKid: `fk-${randomBytes(4).toString('hex')}`, keys: {} }
  if (!options.frankingKeys) frankingKeys.keys[frankingKeys.currentKid] = generateFrankingKey()
  const dataKeys = options.dataKeys ?? { currentKid: `dk-${randomBytes(4).toString('hex')}`, keys: {} }
  if (!options.dataKeys) dataKeys.keys[dataKeys.currentKid] = generateDataKey()
  const connectionLimit = options.limits?.connection ?? DEFAULT_CONNECTION_LIMIT
  const userLimit = options.limits?.user ?? DEFAULT_USER_LIMIT
  const maxConnections = options.limits?.maxConnectionsPerUser ?? DEFAULT_MAX_CONNECTIONS_PER_USER
  const helloTimeout = options.limits?.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS
  // Longer than a link's wait for its approval, the longest legitimate idle of an unregistered session.
  const unregisteredTimeout = options.limits?.unregisteredSessionTimeoutMs ?? LINK_TTL_MS + helloTimeout
  const signatureLimit = options.limits?.signatures ?? DEFAULT_SIGNATURE_LIMIT
  const userSignatureLimit = options.limits?.userSignatures ?? DEFAULT_USER_SIGNATURE_LIMIT

  const reportError = (error: unknown, context: ErrorContext) => {
    log.error({ err: ParleyError.isInstance(error) ? { code: error.code, message: error.message } : error, ...context }, 'parley error')
    try {
      options.onError?.(error, context)
    } catch {
      // an onError that throws must not take the server down
    }
  }
  const pipeline = createPipeline({
    plugins: options.plugins ?? [],
    ...(options.pluginTimeoutMs ? { timeoutMs: options.pluginTimeoutMs } : {}),
    failClosed: options.failClosed ?? true,
    onError: (e) => reportError(e, { where: 'plugin' }),
  })
  const inflight = new Set<Promise<unknown>>()
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p)
    void p.catch(() => undefined).finally(() => inflight.delete(p))
    return p
  }
  let store!: ParleyStore
  let closing = false
  let redisClose: (() => Promise<void>) | undefined
  let purgeTimer: ReturnType<typeof setInterval> | undefined
  let attachments: MountedAttachments | null = null
  let bucketTimer: ReturnType<typeof setInterval> | undefined
  const userBuckets = new Map<string, { bucket: TokenBucket; signatures: TokenBucket; sockets: number }>()

  const plugins = options.plugins ?? []
  const moderationHooks = {
    checkEnvelope: plugins.some((p) => p.checkEnvelope), checkOutgoing: plugins.some((p) => p.checkOutgoing), checkIncoming: plugins.some((p) => p.checkIncoming),
  }
  const ctx = {
    io, log, options, now, pipeline, frankingKeys, dataKeys, reportError, track, policy: options.policy, moderationHooks,
    manifest: buildManifest({ policy: options.policy, reportDepth: options.reportDepth, requiredPlugins: options.requiredPlugins ?? pipeline.requiredPlugins() }),
  } as Ctx

  const ready = (async () => {
    ctx.crypto = await pickProvider()
    store = await options.store
    ctx.store = store
    ctx.conversations = new ConversationCache(store)
    ctx.closures = new ClosureCache(store.moderation, now)
    ctx.committer = new GroupCommitter(
      store,
      (m, seq, ts) => ({ tf: m.tf, ...bindWith(frankingKeys, { tf: m.tf, sender: m.sender, conversationId: m.conversationId, seq, ts }, ctx.crypto) }),
      now,
      (e) => reportError(e, { where: 'store', event: 'message.send' }),
      MAX_GROUP_COMMIT,
      CONCURRENT_COMMITS[store.kind] ?? 1,
    )
    if (options.onOfflineDelivery) ctx.push = new PushDispatcher(ctx, options.onOfflineDelivery, options.pushCoalesceMs ?? DEFAULT_PUSH_COALESCE_MS)
    const change = await store.applyPolicy(options.policy, now())
    if (change.changed) log.info({ from: change.previous, to: options.policy, notices: change.notices }, 'policy changed since last start')
    const resealed = await store.sealLegacyReports((r) => sealReportBody(dataKeys, r))
    if (resealed) log.info({ reports: resealed }, 'sealed reports stored in plain JSON by an older version')
    if (options.redis) redisClose = await attachRedisAdapter(io, options.redis)
    bucketTimer = setInterval(() => {
      void track(store.purgeBuckets(now())).catch((e) => reportError(e, { where: 'store', event: 'purge-buckets' }))
    }, BUCKET_PURGE_INTERVAL_MS)
    bucketTimer.unref()
    // Always: any member may turn on a disappearing timer (issue 17), not only retention.
    purgeTimer = setInterval(() => {
      void track(store.purgeExpired(now())).catch((e) => reportError(e, { where: 'store', event: 'purge' }))
      if (attachments) void track(attachments.purge(now())).catch((e) => reportError(e, { where: 'store', event: 'attachment-purge' }))
    }, options.retention?.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS)
    purgeTimer.unref()
  })()
  ready.catch((e) => reportError(e, { where: 'startup' }))
  // A closure made on another node (through the adapter): refuse sends here too, at once.
  io.on(CLOSED_EVENT, (conversationId: unknown) => {
    if (typeof conversationId === 'string' && ctx.closures) ctx.closures.closed(conversationId)
  })
  io.on(DISAPPEARING_EVENT, onDisappearingBroadcast(ctx)) // another node stored a new timer
  attachments = mountAttachments(ctx, options.httpServer ?? (io as unknown as { httpServer?: HttpServer }).httpServer, options.attachments, ready)
  const moderation = createModerationApi(ctx, ready)
  const disclosure = createDisclosureApi(ctx, ready)

  io.use((socket, next) => {
    void (async () => {
      try {
        await ready
        if (closing) throw new ConnectionError('server is shutting down')
        const out = await options.authenticate(socket.handshake)
        const userId = parseWith(UserIdSchema, out?.userId, 'userId')
        const suspension = await store.moderation.suspension(userId, now())
        if (suspension) throw suspendedError(suspension)
        const entry = userBuckets.get(userId)
        if (entry && entry.sockets >= maxConnections) throw new RateLimitedError('too many connections for this user', { scope: 'connections' })
        socket.data.userId = userId
        next()
      } catch (e) {
        // A database outage is no reason to call the user unauthorized: say so, and the client retries.
        const unavailable = storeUnavailable(e)
        if (unavailable) reportError(e, { where: 'store', event: 'handshake' })
        const wire = unavailable ? new StoreError('the database is unavailable; try again').toWire()
          : ParleyError.isInstance(e) && !(e instanceof InvalidFrameError) ? e.toWire() : new UnauthorizedError().toWire()
        const err = Object.assign(new Error(wire.message), { data: wire })
        next(err)
      }
    })()
  })

  io.on('connection', (socket) => {
    const userId = socket.data.userId
    const entry = userBuckets.get(userId) ?? { bucket: new TokenBucket(userLimit, now()), signatures: new TokenBucket(userSignatureLimit, now()), sockets: 0 }
    entry.sockets++
    userBuckets.set(userId, entry)
    const session: Session = { socket, userId, registered: false, bucket: new TokenBucket(connectionLimit, now()) }
    const signatureBucket = new TokenBucket(signatureLimit, now())
    // Counted from the handshake, so tracked from it too: an account reset disconnects every
    // connection of the user, hello'd or not, on any node (review finding M3).
    void socket.join(connectionsRoom(userId))
    // A connection that never says hello would hold one of the user's slots for ever: close it
    // (the transport too — nothing more to say to it; an honest client reconnects).
    // Likewise one that said hello as an unregistered id and then sits idle (review finding L5).
    const deadline = new ConnectionDeadline((why) => {
      log.info({ userId, deviceId: session.deviceId }, `${why}: connection closed`)
      socket.disconnect(true)
    }, { helloMs: helloTimeout, unregisteredMs: unregisteredTimeout })
    coalesceWrites(socket.conn)
    socket.emit('manifest', ctx.manifest)
    log.debug({ userId }, 'connected')
    socket.on('disconnect', () => {
      deadline.stop()
      if (--entry.sockets <= 0) userBuckets.delete(userId)
    })
    socket.onAny((event: unknown, ...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: AckResponse<unknown>) => void) : undefined
      void track(handle(String(event).slice(0, 64), args, ack))
    })

    async function handle(event: string, args: unknown[], ack?: (r: AckResponse<unknown>) => void): Promise<void> {
      let response: AckResponse<unknown>
      try {
        if (closing) throw new ConnectionError('server is shutting down')
        takeOrThrow([['connection', session.bucket], ['user', entry.bucket]], now())
        if (!Object.prototype.hasOwnProperty.call(CLIENT_FRAME_SCHEMAS, event)) throw new InvalidFrameError(`unknown event "${event}"`, { event })
        if (args.length > 1) throw new InvalidFrameError(`"${event}" takes one payload`, { event })
        if (args[0] instanceof RefusedFrame) throw refusedFrameError(event, args[0])
        const name = event as ClientEventName
        const handler = HANDLERS[name]
        // valibot's strictObject lets an array through when every field is optional.
        if (Array.isArray(args[0])) throw new InvalidFrameError(`invalid "${event}" frame: expected an object`, { event })
        // Cheap checks first, dearest last (issue 19): lengths in time bounded by the schema,
        // then who may send this, then the signature budget, and only then the full parse.
        checkClientFrameBounds(name, args[0])
        if (handler.needs !== 'none' && !session.deviceId) throw new UnauthorizedError('send hello first')
        if (handler.needs === 'registered' && !session.registered) throw new UnauthorizedError('register this device first (device.register)')
        const signatures = signatureCost(name, args[0])
        if (signatures > 0) takeOrThrow([['signatures', signatureBucket], ['user-signatures', entry.signatures]], now(), signatures)
        const frame = parseClientFrame(name, args[0])
        const data = await (handler.run as (c: Ctx, s: Session, f: unknown) => Promise<unknown>)(ctx, session, frame)
        response = { ok: true, data }
        deadline.handled(name, session)
      } catch (e) {
        // A database outage is the server's trouble, reported as such, but the client may retry it.
        const wire = errorToWire(storeUnavailable(e) ? new StoreError('the database is unavailable; try again') : e)
        if (!ParleyError.isInstance(e)) reportError(e, { where: 'handler', event, userId, ...(session.deviceId ? { deviceId: session.deviceId } : {}) })
        else log.info({ event, userId, deviceId: session.deviceId, code: wire.code }, 'frame refused')
        response = { ok: false, error: wire }
      }
      if (ack) ack(response)
      else if (!response.ok) socket.emit('error', response.error)
    }
  })

  return {
    io,
    ready,
    moderation,
    disclosure,
    store: () => store,
    get policy() {
      return ctx.policy
    },
    resetIdentity: (userId, opts) => resetIdentity(ctx, moderation, ready, userId, opts),
    async getReport(reporterUserId, reportId) {
      await ready
      const stored = await store.getReport(reporterUserId, reportId)
      return stored ? openReport(dataKeys, stored) : null
    },
    attachments: () => attachments?.store ?? null,
    get batchSizes() {
      return ctx.committer?.batchSizes ?? []
    },
    async setPolicy(policy) {
      if (!isPolicy(policy)) throw new TypeError('"policy" expected one of server-side, optional-e2ee, default-e2ee')
      await ready
      const change = await store.applyPolicy(policy, now())
      ctx.policy = policy
      ctx.manifest = buildManifest({ policy, reportDepth: options.reportDepth, requiredPlugins: options.requiredPlugins ?? pipeline.requiredPlugins() })
      ctx.conversations.clear()
      io.emit('manifest', ctx.manifest)
      if (change.changed) await flushNotices(ctx)
    },
    async close() {
      if (closing) return
      closing = true
      await ready.catch(() => undefined)
      const deadline = Date.now() + DRAIN_TIMEOUT_MS
      while (inflight.size && Date.now() < deadline) await Promise.race([Promise.allSettled([...inflight]), new Promise((r) => setTimeout(r, 50))])
      if (purgeTimer) clearInterval(purgeTimer)
      if (bucketTimer) clearInterval(bucketTimer)
      await ctx.push?.close() // pending pushes go out while connected devices still count as online
      await sayGoodbye(io)
      if (ownsIo) await new Promise<void>((resolve) => void io.close(() => resolve()))
      await redisClose?.().catch(() => undefined)
      await attachments?.close().catch(() => undefined)
      await store?.close()
    },
  }
}

/**
 * Tells this node's clients the server is restarting, then disconnects them and waits (at most
 * `GOODBYE_FLUSH_MS`) for them to hang up. Only this node's sockets: with an adapter,
 * `io.emit`/`io.disconnectSockets` would reach every node. A namespace disconnect sends its
 * DISCONNECT packet behind the goodbye; closing the engine at once (or the integrator's
 * `io.close()` right after `close()`) could drop both, and the client would see a bare
 * transport close.
 */
async function sayGoodbye(io: Server): Promise<void> {
  const conns = [...io.of('/').sockets.values()].map((socket) => socket.conn)
  io.local.emit('goodbye', { code: 'server_restarting' })
  io.local.disconnectSockets(false)
  await Promise.all(
    conns.map((conn) =>
      conn.readyState === 'closed'
        ? undefined
        : new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, GOODBYE_FLUSH_MS)
            conn.once('close', () => {
              clearTimeout(timer)
              resolve()
            })
          }),
    ),
  )
}
