/**
 * Options of `createParleyServer` and their defaults. Every limit is a named constant.
 */
import type { Server as HttpServer } from 'node:http'
import type { Logger } from 'pino'
import type { Server } from 'socket.io'
import type {
  CanMessageDecision, ClientToServerEvents, EncryptionMode, FlagEvent, InterServerEvents, ModerationPlugin, Policy, RequiredPlugin,
  ServerToClientEvents, SocketData, VerifiedReport, ModerationAction,
} from '@parley/protocol'
import type { DataKeyring, FrankingKeyring } from '@parley/crypto'
import type { ParleyStore } from './store/store.js'
import type { OnOfflineDelivery } from './push/types.js'
import type { AttachmentOptions } from './attachments/options.js'

/** The typed socket.io server Parley runs on. */
export type ParleyIo = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>

/** The socket.io handshake the integrator's `authenticate` sees (`socket.handshake`). */
export type Handshake = Parameters<Parameters<ParleyIo['use']>[0]>[0]['handshake']

/** A token bucket: `capacity` frames at once, refilled at `refillPerSecond`. */
export interface BucketLimit {
  capacity: number
  refillPerSecond: number
}

/** Rate limits; every field optional (defaults below). */
export interface ParleyLimits {
  /** Frames per connection. */
  connection?: BucketLimit
  /** Frames per user on this node (all of the user's connections here together). */
  user?: BucketLimit
  /** Reports per user, shared across nodes through the store's token buckets. */
  reports?: BucketLimit
  /**
   * `keys.fetch` per requesting user, all targets together (each fetch claims one-time
   * prekeys of every device of the target). Kept in the store: holds across nodes and reconnects.
   */
  keysFetch?: BucketLimit
  /** `keys.fetch` per requesting user and target user. Kept in the store, like {@link keysFetch}. */
  keysFetchPerTarget?: BucketLimit
  /** Concurrent connections per user on this node (counted from the handshake, before `hello`). */
  maxConnectionsPerUser?: number
  /**
   * How long a connection may stay open without a successful `hello`, ms (1..{@link MAX_HELLO_TIMEOUT_MS}).
   * Past it the server closes the connection, so idle sockets cannot hold the user's
   * {@link maxConnectionsPerUser} slots for ever. Default {@link DEFAULT_HELLO_TIMEOUT_MS}.
   */
  helloTimeoutMs?: number
  /**
   * How long a connection that said `hello` as an unregistered device id may stay without
   * registering, ms (1..{@link MAX_UNREGISTERED_SESSION_TIMEOUT_MS}); restarted by each `link.*`
   * or `blob.*` frame it sends, so a device being linked (waiting up to {@link LINK_TTL_MS} for
   * the approval, then fetching its history) or restored is not cut off. Past it the server
   * closes the connection, so such sessions cannot hold {@link maxConnectionsPerUser} slots for
   * ever. Default {@link LINK_TTL_MS} + {@link helloTimeoutMs} (10.5 min); keep it above
   * `LINK_TTL_MS`, or linking breaks.
   */
  unregisteredSessionTimeoutMs?: number
  /**
   * Ed25519 verifications per connection: a frame takes as many tokens as signatures it can
   * make the server check ({@link signatureCost}), so a flood of `keys.publish` with 100
   * signed prekeys each is refused before it costs CPU. Capacity ≥ {@link MAX_FRAME_SIGNATURES}.
   */
  signatures?: BucketLimit
  /** Ed25519 verifications per user on this node (all connections together), as {@link signatures}. */
  userSignatures?: BucketLimit
}

/** Retention: messages older than this (ms, by conversation mode) are hidden, then purged. */
export interface RetentionOptions {
  'server-side'?: number
  e2ee?: number
  /** How often expired rows are purged, ms. */
  purgeIntervalMs?: number
}

/** Attach `@socket.io/redis-streams-adapter` for several nodes. */
export interface RedisOptions {
  url: string
  /** Stream name (prefix keys per deployment). Default {@link DEFAULT_REDIS_STREAM}. */
  streamName?: string
}

/** What `onError` receives besides the error: where it happened. Never message content. */
export interface ErrorContext {
  where: 'handler' | 'plugin' | 'onReport' | 'onModerationAction' | 'onFlag' | 'delivery' | 'store' | 'startup' | 'canMessage' | 'onOfflineDelivery'
  event?: string
  userId?: string
  deviceId?: string
}

/** Options of `createParleyServer`. Exactly one of `io` or `httpServer` is required. */
export interface ParleyServerOptions {
  /** An existing typed socket.io server to mount on (its `maxHttpBufferSize` should be `MAX_FRAME_BYTES`). */
  io?: ParleyIo
  /** Or an HTTP server: Parley creates the socket.io server with `maxHttpBufferSize = MAX_FRAME_BYTES`. */
  httpServer?: HttpServer
  /** socket.io path when Parley creates the server. Default `/socket.io`. */
  path?: string
  /** CORS for socket.io when Parley creates the server. */
  cors?: { origin: string | string[] | boolean; credentials?: boolean }
  /** The encryption policy. */
  policy: Policy
  /** Integrator auth: the handshake → the user id. Throw (or reject) to refuse the connection. */
  authenticate: (handshake: Handshake) => Promise<{ userId: string }> | { userId: string }
  /** The store, or a promise of it (`pgliteStore()`, `postgresStore()`…). `close()` closes it. */
  store: ParleyStore | Promise<ParleyStore>
  /** Moderation plugins (run through `@parley/moderation`'s pipeline). */
  plugins?: ModerationPlugin[]
  /** Plugin hook timeout, ms. */
  pluginTimeoutMs?: number
  /** Block when a hook throws or times out (default true). */
  failClosed?: boolean
  /** Plugins clients must run for e2ee content; default: every plugin with a content hook. */
  requiredPlugins?: RequiredPlugin[]
  /** Verified user reports (same shape in every mode). */
  onReport?: (report: VerifiedReport) => void | Promise<void>
  /**
   * Every moderator action (`parley.moderation.*`, disclosure exports) once committed, as the
   * audit log records it; awaited like `onReport`, its failures go to `onError`.
   */
  onModerationAction?: (action: ModerationAction) => void | Promise<void>
  /** Flags raised by plugins (same shape in every mode). */
  onFlag?: (event: FlagEvent) => void | Promise<void>
  /** Every failure that is not the client's fault (plugin, store, hook). Never message content. */
  onError?: (error: unknown, context: ErrorContext) => void
  /**
   * Who may message whom (issue 15): called with user ids at every `conversation.open` (from =
   * the opener) and every `message.send` (from = the sender). `'deny'` refuses with
   * `MessagingDeniedError` in every mode; `'request'` makes a first contact (the open that
   * creates the conversation) a message request for `to`; `'allow'` lets it through. Default:
   * every open and send is allowed. A throw or an unknown value fails closed (`InternalError`,
   * reported to `onError` with `where: 'canMessage'`); after {@link CAN_MESSAGE_TIMEOUT_MS} the
   * frame fails with `TimeoutError` (the client retries). docs/safety-controls.md
   */
  canMessage?: (from: string, to: string) => CanMessageDecision | Promise<CanMessageDecision>
  /**
   * Most members a group may have (docs/groups.md); creating or adding past it fails with
   * `GroupFullError`. Default `DEFAULT_MAX_GROUP_MEMBERS` (100); at most `MAX_GROUP_MEMBERS`.
   */
  maxGroupMembers?: number
  /** Rate limits. */
  limits?: ParleyLimits
  /** Server franking keys (kid → 32 bytes). Default: a random key per process (reports of older messages then fail). */
  frankingKeys?: FrankingKeyring
  /** Data keys sealing server-side bodies at rest. Default: a random key per process (bodies unreadable after restart). */
  dataKeys?: DataKeyring
  /** pino logger; default `pino({ level: 'info' })`. */
  logger?: Logger
  /** Messages a report carries (manifest `reportDepth`). */
  reportDepth?: number
  /** Retention per conversation mode. */
  retention?: RetentionOptions
  /** Multi-node fan-out through Redis streams. */
  redis?: RedisOptions
  /**
   * Push (issue 18, docs/push.md): called once per offline device and conversation per batch
   * of stored messages (never for a connected device, never for the sender's own devices),
   * with the device's push registrations; `preview` only in server-side conversations. Its
   * failures go to `onError` (`where: 'onOfflineDelivery'`) and never affect delivery.
   * `webPushSender({ vapid })` is a ready-made hook for Web Push.
   */
  onOfflineDelivery?: OnOfflineDelivery
  /** The coalescing window of `onOfflineDelivery`, ms. Default `DEFAULT_PUSH_COALESCE_MS`; at most `MAX_PUSH_COALESCE_MS`. */
  pushCoalesceMs?: number
  /** Clock, for tests. */
  now?: () => number
  /** Out-of-band attachments over HTTP (docs/attachments.md); `false` turns the routes off. Needs `httpServer` (or an `io` attached to one). */
  attachments?: AttachmentOptions | false
}

/** Default per-connection bucket. */
export const DEFAULT_CONNECTION_LIMIT: BucketLimit = { capacity: 200, refillPerSecond: 100 }
/** Default per-user bucket (per node). */
export const DEFAULT_USER_LIMIT: BucketLimit = { capacity: 400, refillPerSecond: 200 }
/**
 * Default signature bucket per connection: a registration (≤ 103 signatures) and a full
 * prekey refill at once, then 16 a second (an honest client uploads 25 signed ML-KEM prekeys
 * per batch). ~60 µs each natively, so at most ~15 ms of CPU per connection at once.
 */
export const DEFAULT_SIGNATURE_LIMIT: BucketLimit = { capacity: 256, refillPerSecond: 16 }
/** Default signature bucket per user (per node): room for every device of a user registering at once. */
export const DEFAULT_USER_SIGNATURE_LIMIT: BucketLimit = { capacity: 2_048, refillPerSecond: 64 }
/** Default report bucket (per user, all nodes). */
export const DEFAULT_REPORT_LIMIT: BucketLimit = { capacity: 20, refillPerSecond: 20 / 3600 }
/**
 * Default `keys.fetch` bucket per requesting user (all targets, all nodes): a burst of 100
 * (a fresh device meeting its contacts), then 100 an hour. Every fetch claims one one-time
 * X25519 and one ML-KEM prekey of each device of the target.
 */
export const DEFAULT_KEYS_FETCH_LIMIT: BucketLimit = { capacity: 100, refillPerSecond: 100 / 3600 }
/**
 * Default `keys.fetch` bucket per requesting user and target user (all nodes): 10 at once,
 * then 10 an hour. An honest client fetches a peer once per session set-up or device-list
 * change; a draining requester gets at most this many of a device's one-time prekeys, which is
 * below a client's batch (50 X25519, 25 ML-KEM) and its refill threshold.
 */
export const DEFAULT_KEYS_FETCH_PER_TARGET_LIMIT: BucketLimit = { capacity: 10, refillPerSecond: 10 / 3600 }
/** How often token-bucket state that has refilled to capacity is purged from the store, ms. */
export const BUCKET_PURGE_INTERVAL_MS = 10 * 60_000
/** Default concurrent connections per user on one node. */
export const DEFAULT_MAX_CONNECTIONS_PER_USER = 32
/**
 * Default time a connection has to complete `hello`, ms. Every client says hello right after
 * the manifest; a socket that does not (a lost device holding slots, review finding M3) is
 * closed instead of counting against `maxConnectionsPerUser` for ever. An honest client cut
 * off here simply reconnects.
 */
export const DEFAULT_HELLO_TIMEOUT_MS = 30_000
/** Longest `limits.helloTimeoutMs` accepted, ms. */
export const MAX_HELLO_TIMEOUT_MS = 10 * 60_000
/** Longest `limits.unregisteredSessionTimeoutMs` accepted, ms (a day: set-up is never longer). */
export const MAX_UNREGISTERED_SESSION_TIMEOUT_MS = 24 * 60 * 60_000
/** Most sends committed in one store transaction. */
export const MAX_GROUP_COMMIT = 256
/**
 * Most message data (sealed bodies and ciphertexts, base64 characters) in one group-commit
 * batch; a larger send commits alone. PGlite keeps its heap at its high-water mark, so this
 * (times `CONCURRENT_COMMITS`) bounds what a burst of large sends leaves behind; ~3 sends of
 * four full attachments, far above a batch of 256 ordinary messages.
 */
export const MAX_GROUP_COMMIT_BYTES = 4 * 1024 * 1024
/**
 * Group-commit batches committing at once, by store (batches for disjoint users only). On
 * PostgreSQL they run on separate pool connections; on PGlite (one connection) the next batch
 * runs its SQL while the previous one waits for its WAL fdatasync.
 */
export const CONCURRENT_COMMITS: Readonly<Record<'memory' | 'pglite' | 'postgres', number>> = { memory: 1, pglite: 2, postgres: 4 }
/** Deliveries pushed per page on catch-up. */
export const CATCH_UP_PAGE = 500
/** Default history page. */
export const DEFAULT_HISTORY_LIMIT = 50
/** Below this many one-time prekeys the owning device gets `keys.low`. */
export const KEYS_LOW_THRESHOLD = 10
/** A device-link request waits this long, ms. */
export const LINK_TTL_MS = 10 * 60_000
/** How long a `hello.challenge` nonce stays valid on its connection (single use). */
export const HELLO_CHALLENGE_TTL_MS = 30_000
/** How long `close()` waits for in-flight frames, ms. */
export const DRAIN_TIMEOUT_MS = 10_000
/** How long `close()` waits for clients to hang up after its `goodbye` (then it closes anyway). */
export const GOODBYE_FLUSH_MS = 1_000
/** Default purge interval for retention, ms. */
export const DEFAULT_PURGE_INTERVAL_MS = 60_000
/** Conversations cached per node (members and last known mode). */
export const CONVERSATION_CACHE_SIZE = 10_000
/** How long a `canMessage` call may take before the frame fails with `TimeoutError`, ms. */
export const CAN_MESSAGE_TIMEOUT_MS = 5_000
/** Default page of `block.list`, `mute.list` and `request.list` (at most `MAX_SAFETY_PAGE`). */
export const DEFAULT_SAFETY_PAGE = 100
/** Default Redis stream name. */
export const DEFAULT_REDIS_STREAM = 'parley'

export type { EncryptionMode }
