/** The options of `createParleyClient()` and the shape of `client.conversations`. */
import type { FlagEvent, ModerationPlugin } from '@parley/protocol'
import type { CryptoProvider } from '@parley/crypto'
import type { SocketClientOptions } from './connection.js'
import type { Conversation } from './conversations/conversation.js'
import type { KeyStore } from './key-store/key-store.js'
import type { PreKeyRotationOptions } from './sessions/prekey-rotation.js'

/** Options of {@link createParleyClient}. */
export interface ParleyClientOptions {
  /** Server URL, e.g. `http://localhost:3000`. */
  url: string
  /** Base URL of the server's attachment routes. Default: `url`'s origin + `/parley/attachments` (docs/attachments.md). */
  attachmentsUrl?: string
  /** Largest attachment `client.attachments.download()` assembles in memory (bytes). Default 100 MiB; use `stream()` beyond. */
  maxDownloadBytes?: number
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
  /** Crypto provider (X25519, Ed25519, ML-KEM-768, HMAC/HKDF, XChaCha20); the fastest that passes its self-test by default (`pickProvider()`, which warns once if one fails). */
  provider?: CryptoProvider
  /** Extra socket.io-client options (transports, path, …). */
  socketOptions?: SocketClientOptions
  /**
   * The lowest encryption this client accepts, whatever the server says. `'e2ee'`: every
   * conversation is treated as end-to-end encrypted from first sight (no readable frame is
   * ever shown), a server-side one is upgraded with this device's signed `ModeChange` when it
   * is opened or first sent to, and under the `server-side` policy `open()` and `send()`
   * fail with `PolicyViolationError`. Default `'server-side'` (follow the server's policy).
   */
  minimumMode?: 'server-side' | 'e2ee'
  /**
   * How long after sending a message its author may `edit()` it, in ms (default
   * `DEFAULT_EDIT_WINDOW_MS`, 15 minutes; at most one year). Checked by the editing client.
   */
  editWindowMs?: number
  /**
   * Send a signed `delivered` receipt when this device stores messages of other users (one per
   * burst, for the newest; docs/messages.md, "Receipts"). Default true. Read receipts are sent
   * only by `conversation.markRead()`.
   */
  deliveryReceipts?: boolean
  /** How long the first run waits for registration, in ms (default 15 s). */
  connectTimeoutMs?: number
  /**
   * Signed-prekey rotation: the signed X25519 and last-resort ML-KEM prekeys are replaced every
   * `intervalMs` (default 7 days) and replaced secrets deleted `graceMs` later (default 14
   * days). Replay ids of initial messages are kept for exactly that life.
   */
  preKeyRotation?: PreKeyRotationOptions
  /** @internal Injected clock for tests. */
  now?: () => number
}

/** `client.conversations`. */
export interface Conversations {
  /** Opens (or finds) the 1:1 conversation with `peerUserId`; both sides get the same id. */
  open(peerUserId: string): Promise<Conversation>
  /**
   * Creates a group with this user as admin and `members` as members (docs/groups.md): a signed
   * roster record every member verifies. E2EE from creation under `default-e2ee`; an admin may
   * upgrade it under `optional-e2ee`.
   * @throws {GroupFullError} past the server's `maxGroupMembers`. @throws {NotFoundError} an unknown user.
   * @throws {MessagingDeniedError} / {PeerBlockedError} an invitee may not be messaged. @throws {TypeError} / {RangeError} on bad input.
   * @example const team = await client.conversations.create({ members: ['bob', 'carol'], title: 'team' })
   */
  create(input: import('./groups/group-ops.js').CreateGroupInput): Promise<Conversation>
  /** Every conversation of this user (from the server, merged with what this device pinned). */
  list(): Promise<Conversation[]>
  /** A conversation this device already knows, by id. */
  get(id: string): Conversation | undefined
  /** `'conversation'`: a conversation this device had not seen (a peer opened it). */
  on(event: 'conversation', listener: (c: Conversation) => void): () => void
}
