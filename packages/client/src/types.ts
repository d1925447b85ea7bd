/**
 * Public types of the client: messages as the app sees them, event maps, and the records the
 * client keeps in its {@link KeyStore} (JSON-safe, base64 for bytes).
 */
import type {
  AttachmentMeta, FileRef, DeviceAddress, EncryptionMode, Goodbye, ModeChange, Notice, ParleyError, PolicyManifest, RequestState,
} from '@parley/protocol'

/** Why the server closed the connection on purpose (see the `goodbye` frame). */
export type GoodbyeCode = Goodbye['code']

/** An attachment to send. */
export interface OutgoingAttachment {
  name: string
  mime: string
  /**
   * The bytes: a Uint8Array of at most `MAX_ATTACHMENT_BYTES` travels inline, as before; a
   * larger one, a `Blob` (a browser `File`) or an async iterable of bytes (give `size`) is
   * sealed and uploaded out of band first (docs/attachments.md). Empty for an attachment
   * `client.attachments.upload()` returned.
   */
  data: Uint8Array | Blob | AsyncIterable<Uint8Array>
  /** Plaintext bytes: required for an async iterable; set by `upload()`. */
  size?: number
  /** Set by `client.attachments.upload()`: where the sealed bytes are and their key. */
  file?: FileRef
  /** Set by `client.attachments.upload()`: base64 SHA-256 of the plaintext. */
  sha256?: string
  /**
   * A small preview the app made (at most `MAX_THUMBNAIL_BYTES`; Parley decodes no images):
   * sealed under the file's key and carried inside the message, so receivers show it before
   * downloading (`client.attachments.thumbnail(a)`). An attachment with one always goes out of band.
   */
  thumbnail?: Uint8Array
}

/** Progress of the uploads `send()` runs first, per attachment (sealed bytes). */
export interface SendProgress {
  /** Position of the attachment in `attachments`. */
  index: number
  bytes: number
  total: number
}

/**
 * An attachment of a received (or sent) message: metadata, the plaintext hash, the bytes — or,
 * out of band, empty `data` and `file`: fetch it with `client.attachments.download(a)`.
 */
export interface Attachment extends AttachmentMeta {
  data: Uint8Array
}

/** What `conversation.send()` takes. */
export interface SendInput {
  text: string
  attachments?: OutgoingAttachment[]
  /** Progress of uploading the attachments that go out of band (before the message is queued). */
  onProgress?: (p: SendProgress) => void
  /** Reply to this message (its server id, in this device's log): bound in the franked, signed content. */
  replyTo?: string
}

/**
 * A message as the app sees it. Outgoing messages appear first with `status: 'pending'` and
 * `id === clientMessageId`, then again with `status: 'sent'` and the server's id and `seq`;
 * key UI rows by `clientMessageId`.
 */
export interface Message {
  /** Server message id (the `clientMessageId` while pending). */
  id: string
  clientMessageId?: string
  conversationId: string
  /** Conversation sequence number assigned by the server (absent while pending). */
  seq?: number
  /** Server timestamp (local time while pending), ms. */
  ts: number
  sender: DeviceAddress
  /** True when this device's user sent it (from this or another of the user's devices). */
  outgoing: boolean
  text: string
  attachments: Attachment[]
  /** The real mode the message travelled in. */
  encryption: EncryptionMode
  status: 'pending' | 'sent' | 'received'
  /** Set when a local moderation plugin flagged the incoming message. */
  flagged?: { plugin: string; reason: string }
  /**
   * The sender's disappearing timer when it sent this message (ms), from its franked content:
   * this device deletes the message that long after it received it (docs/recovery.md).
   */
  disappearingMs?: number
  /**
   * Set on an incoming message that arrived while its conversation was an open message request
   * for this user: render no link previews or attachments by default (docs/safety-controls.md).
   */
  request?: true
  /** The message this one replies to (server id), from the sender's signed, franked content. */
  replyTo?: string
  /** Server time of the latest edit; `text` is the latest version. */
  editedAt?: number
  /** Earlier versions, oldest first (the original first), when edited. */
  versions?: { text: string; ts: number }[]
  /** Deleted for everyone by its author (verified tombstone): `text` and `attachments` are empty. */
  deleted?: { by: DeviceAddress; at: number }
  /** Reactions: emoji → user ids (sorted), one entry per user and emoji (`{}` on every message from the log). */
  reactions?: Record<string, string[]>
}

/** A mode change of a conversation, as emitted on `'mode'`. */
export interface ModeEventPayload {
  conversationId: string
  encryption: EncryptionMode
  /** The signed record, when the change came from a participant. */
  modeChange?: ModeChange
  /** Who upgraded (verified against their signed device list), when known. */
  by?: DeviceAddress
}

/** A typing indicator. */
export interface TypingPayload {
  conversationId: string
  from: DeviceAddress
  typing: boolean
}

/** An error surfaced to the UI: the typed error, and what it concerns. */
export interface ErrorPayload {
  error: ParleyError
  conversationId?: string
  /** The server message id of the delivery that failed, when one did. */
  messageId?: string
  /** The device the failure concerns (the sender of an undecryptable message). */
  device?: DeviceAddress
  /** True when a bounded session reset was started for `device`. */
  sessionReset?: boolean
}

/** A user was blocked or unblocked (on this device or another of this user's). */
export interface BlockEventPayload {
  userId: string
  blocked: boolean
}

/** A conversation was muted or unmuted (on this device or another of this user's). */
export interface MuteEventPayload {
  conversationId: string
  muted: boolean
}

/**
 * A message request this user received changed: `pending` (new, or the sender wrote again
 * after a decline), `declined`, or `accepted` (closed: accepted, or this user replied).
 */
export interface RequestEventPayload {
  conversationId: string
  /** Who made first contact. */
  userId: string
  state: RequestState
}

/** A group's verified roster moved (a signed record was applied). */
export interface MembersEventPayload {
  conversationId: string
  /** The roster version after the change. */
  version: number
  /** Members after the change, sorted. */
  members: string[]
  /** userId → role after the change. */
  roles: Record<string, import('@parley/protocol').GroupRole>
  title: string
  /** What the record changed. */
  change: import('@parley/protocol').RosterChange
  /** The admin (or leaving member) device that signed it. */
  by: DeviceAddress
}

/** Events of a {@link Conversation}. */
export interface ConversationEvents {
  [key: string]: unknown
  message: Message
  /** A verified receipt of a member device (or of this user's other devices; docs/messages.md). */
  receipt: import('./receipts/types.js').Receipt
  /** This conversation's unread count changed (`conversation.unreadCount`). */
  unread: import('./receipts/types.js').UnreadEventPayload
  typing: TypingPayload
  mode: ModeEventPayload
  notice: Notice
  error: ErrorPayload
  mute: MuteEventPayload
  request: RequestEventPayload
  members: MembersEventPayload
  /** A member changed the disappearing-messages timer (verified). */
  disappearing: import('./disappearing/types.js').DisappearingEventPayload
  /** Messages whose timer ran out were deleted from this device. */
  expired: import('./disappearing/types.js').ExpiredEventPayload
  /** A message changed: edited, deleted for everyone, or its reactions (docs/messages.md). */
  update: Message
}

/** Events of the client itself (every conversation's events also bubble here). */
export interface ClientEvents {
  [key: string]: unknown
  /** A conversation this device had not seen (opened by a peer, or found on sync). */
  conversation: import('./conversations/conversation.js').Conversation
  message: Message
  mode: ModeEventPayload
  notice: Notice
  error: ErrorPayload
  /** Connected, registered and caught up. */
  ready: { manifest: PolicyManifest }
  /**
   * The socket dropped. `reason` is socket.io's; `code` is set when the server said why first
   * (`'server_restarting'`: a graceful close or deploy — the client comes back by itself).
   */
  disconnect: { reason: string; code?: GoodbyeCode }
  /** Safety state synced from the server changed (see `client.users`, `conversation.mute()`, `client.requests`). */
  block: BlockEventPayload
  mute: MuteEventPayload
  request: RequestEventPayload
  /** A group's verified roster moved. */
  members: MembersEventPayload
  /** A backup being written, or history sent to a device being linked (docs/recovery.md). */
  progress: import('./backup/blob-transfer.js').TransferProgress & { operation: 'backup' | 'link' }
  /** A member changed a conversation's disappearing-messages timer (verified). */
  disappearing: import('./disappearing/types.js').DisappearingEventPayload
  /** Messages whose timer ran out were deleted from this device. */
  expired: import('./disappearing/types.js').ExpiredEventPayload
  /** A message changed: edited, deleted for everyone, or its reactions. */
  update: Message
  /** A verified receipt (see the conversation's `'receipt'`). */
  receipt: import('./receipts/types.js').Receipt
  /** A conversation's unread count changed. */
  unread: import('./receipts/types.js').UnreadEventPayload
}

/** A safety number for out-of-band comparison. */
export interface SafetyNumber {
  /** 60 digits, the same on both sides. Show in 12 groups of 5. */
  digits: string
  /** Base64 payload to render as a QR code and scan on the other device. */
  qrPayload: string
}
