/**
 * Where the client keeps each record in its {@link KeyStore}, and the record shapes. All keys
 * are built here so the layout is in one place (and versioned by {@link STORE_LAYOUT_VERSION}).
 */
import type {
  FileRef,
  ConversationInfo, DeviceAddress, EncryptionMode, MessageSend, ModeChange, MessageRef, SignedDeviceList,
} from '@parley/protocol'
import type { DeviceIdentity, PreKeySecrets, SessionState, UserIdentity } from '@parley/crypto'
import type { JsonValue } from './key-store/key-store.js'

/** Layout version, stored under {@link K.layout}. */
export const STORE_LAYOUT_VERSION = 1

const pad = (n: number) => String(n).padStart(16, '0')
const enc = (s: string) => encodeURIComponent(s)

/** Key builders. */
export const K = {
  layout: 'layout',
  self: 'self',
  preKeys: 'prekeys',
  seenInitial: 'seen-initial',
  cursor: 'inbox/cursor',
  peer: (userId: string) => `peer/${enc(userId)}`,
  sessionPrefix: (userId: string) => `session/${enc(userId)}/`,
  session: (a: DeviceAddress) => `session/${enc(a.userId)}/${enc(a.deviceId)}`,
  resets: (a: DeviceAddress) => `resets/${enc(a.userId)}/${enc(a.deviceId)}`,
  conversationPrefix: 'conv/',
  conversation: (id: string) => `conv/${id}`,
  messagePrefix: (conversationId: string) => `msg/${conversationId}/`,
  message: (conversationId: string, seq: number) => `msg/${conversationId}/${pad(seq)}`,
  /** A message's seq by its server id (messages/: actions find their target by id). */
  messageId: (conversationId: string, messageId: string) => `msgid/${conversationId}/${enc(messageId)}`,
  /** A message's seq by its franking commitment `tf` (decision 0021: references resolve by it). */
  messageTf: (conversationId: string, tf: string) => `msgtf/${conversationId}/${enc(tf)}`,
  /** An action that arrived before its target, by the target's commitment (messages/pending-actions.ts). */
  actionPendingPrefix: (conversationId: string, tf: string) => `msgpend/${conversationId}/${enc(tf)}/`,
  actionPending: (conversationId: string, tf: string, seq: number) => `msgpend/${conversationId}/${enc(tf)}/${pad(seq)}`,
  /** Set once a conversation's log has both indexes (messages/find-message.ts `ensureIndexed`). */
  messageIndexed: (conversationId: string) => `msgidx/${conversationId}`,
  /** Kept content of deleted messages, by the time it is wiped (decision 0021; messages/evidence.ts). */
  evidencePrefix: 'evidence/',
  evidence: (until: number, conversationId: string, seq: number) => `evidence/${pad(until)}/${conversationId}/${pad(seq)}`,
  outboxPrefix: 'outbox/',
  outbox: (createdAt: number, clientMessageId: string) => `outbox/${pad(createdAt)}-${clientMessageId}`,
} as const

/** This device: who it is, its secrets, and its registration state. */
export interface SelfRecord {
  userId: string
  deviceId: string
  user: UserIdentity
  device: DeviceIdentity
  /** Our user's device list as last signed or verified. */
  deviceList: SignedDeviceList
  registered: boolean
  /** Next ids to use for prekeys (ids are never reused). */
  nextOneTimeId: number
  nextKemOneTimeId: number
  signedPreKeyId: number
  kemLastResortId: number
  /** When the current signed and last-resort KEM prekeys were made (absent: before rotation existed → due). */
  signedPreKeyAt?: number
  /** The signed prekey id the server last confirmed (a rotation whose upload failed is redone). */
  publishedSignedPreKeyId?: number
  /** Replaced signed / last-resort KEM prekeys by id → when replaced; secrets go after the grace period. */
  retiredPreKeys?: RetiredPreKeys
}

/** Replaced prekeys waiting for deletion: id → when it was replaced (ms). */
export interface RetiredPreKeys {
  signed: Record<string, number>
  kem: Record<string, number>
}

/**
 * Ids of accepted PQXDH initial messages, by the signed prekey they used: kept for as long as
 * that prekey's secret exists, so a replay is refused for as long as it could be decrypted.
 * (Layout 1 kept a plain list of the last 2,000 ids; it is read as belonging to the current
 * signed prekey.)
 */
export interface SeenInitialRecord {
  bySignedPreKey: Record<string, string[]>
}

/** What this device knows about another user's keys. */
export interface PeerRecord {
  userId: string
  /** The pinned user identity key (TOFU, or accepted with `acceptIdentity()`). */
  identityKey: string
  deviceList: SignedDeviceList
  /** A different identity key the server presented; sending is blocked until accepted. */
  pending?: { identityKey: string; deviceList: SignedDeviceList; seenAt: number }
}

/** Session states with one peer device; index 0 is current. */
export interface SessionRecord {
  states: SessionState[]
  /** Set by the bounded reset: the next send starts a new session in front of these states. */
  renew?: boolean
}

/** A conversation as this device pins it. */
export interface ConversationRecord {
  /** What the server last said (unsigned: only `upgradeRequired` is used, as a hint that can only lead to an upgrade). */
  info: ConversationInfo
  /**
   * The members, pinned on first sight (or from a device link) and never changed for a 1:1;
   * every delivery, history row and mode change is checked against them. Records written
   * before this field existed pin `info.members` when loaded.
   */
  members?: string[]
  /** When this device first saw the conversation (its own clock; orders device-link pins). */
  firstSeenAt?: number
  /** The highest mode ever seen: never goes down. */
  pinned: EncryptionMode
  modeChange?: ModeChange
  /**
   * A group pinned by a device link before this device verified its roster: the version and
   * hash the linking device held. On first sight the whole chain is fetched, verified, and must
   * hold this hash at this version (else `rollback` / `fork`).
   */
  rosterAnchor?: { version: number; head: string }
}

/** A message in the local log (what this device saw: the basis of reports and E2EE history). */
export interface StoredMessage {
  id: string
  clientMessageId?: string
  conversationId: string
  seq: number
  ts: number
  sender: DeviceAddress
  outgoing: boolean
  text: string
  attachments: { name: string; mime: string; size: number; sha256: string; file?: FileRef; data: string }[]
  encryption: EncryptionMode
  /** Franking opening and binding, for reports. */
  nf: string
  tf: string
  rf: string
  kid: string
  flagged?: { plugin: string; reason: string }
  /** An edit, tombstone, reaction or reply: what it refers to, and the sender's signature (messages/). */
  ref?: MessageRef
  sig?: string
  /** The sender's disappearing timer, from the franked content (decision 0023). */
  timer?: number
  /**
   * Derived by messages/ on a target: the texts of its edits in chain order (by the franked
   * `version`, then `tf`; decision 0021), and their seqs in the same order. `text` stays the
   * original (what franking committed to, which a report must carry).
   */
  edits?: { text: string; ts: number; version?: number; tf?: string }[]
  editSeqs?: number[]
  /** Derived: deleted for everyone by its author's verified tombstone (content out of the UI). */
  deleted?: { by: DeviceAddress; at: number; seq: number }
  /**
   * Derived, on a deleted message and its edits: the content, kept out of the UI and search
   * until `until` so a report can still prove it (decision 0021; messages/evidence.ts).
   */
  kept?: { text: string; attachments: StoredMessage['attachments']; until: number }
  /** Derived: reactions by user id. */
  reactions?: Record<string, string[]>
  /** Derived: per user and emoji, the number (`ref.version`) of the latest reaction action applied. */
  reactionVersions?: Record<string, Record<string, number>>
  /** Derived, on a reply: the local id of the message it replies to, resolved by commitment. */
  replyTo?: string
  /** From before decision 0021 (replays are now found by the `msgtf/` index); ignored. */
  applied?: string[]
}

/** A queued send. `frame` is built (and the ratchet advanced) once; resends reuse it. */
export interface OutboxEntry {
  key: string
  clientMessageId: string
  conversationId: string
  createdAt: number
  text: string
  /** Inline: the bytes; out of band (docs/attachments.md): empty data, and `file`, `size`, `sha256`. */
  attachments: { name: string; mime: string; data: string; file?: FileRef; size?: number; sha256?: string }[]
  frame?: MessageSend
  nf?: string
  /** Queued as a readable send (no local moderation ran): checked locally if it goes E2EE. */
  unchecked?: true
  /** An edit, tombstone, reaction or reply (messages/). */
  ref?: MessageRef
  /** The sender's disappearing timer at queue time, franked (disappearing/message-timer.ts). */
  timer?: number
}

/** A JSON cast for records (they are JSON-safe by construction). */
export const json = (v: unknown) => v as JsonValue

export type { PreKeySecrets, SessionState }
