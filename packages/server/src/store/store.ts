/**
 * The `ParleyStore` interface: every durable thing the server keeps, as small async methods.
 * Each method is atomic on its own (a transaction inside the store, never a JS lock), so
 * several server processes can share one PostgreSQL. Three backends implement it and run one
 * conformance suite (`contract.ts`): `memoryStore`, `pgliteStore`, `postgresStore`.
 */
import type {
  ConversationInfo, DeviceAddress, DisappearingSetting, DeviceBundle, DeviceRegister, EncryptedAttachment, EncryptionMode, Envelope, Franking,
  ModeChange, Notice, Policy, RosterRecord, SenderKeyMessage, SignedDeviceList, TokenBucketStore, VerifiedReport,
} from '@parley/protocol'
import type { RosterState } from '@parley/crypto'
import type { SafetyStore } from './safety-store.js'
import type { PushStore } from './push-store.js'
import type { ResetTicketStore } from './reset-ticket-store.js'
import type { AttachmentStore } from '../attachments/attachment-store.js'
import type { SenderKeyStore } from './sender-key-store.js'
import type { BlobStore } from './blob-store.js'

import type { ModerationStore, NewAuditEntry } from './moderation-store.js'

type SignedPreKey = DeviceRegister['signedPreKey']
type KemPreKey = DeviceRegister['kemLastResortPreKey']
type OneTimePreKey = DeviceRegister['oneTimePreKeys'][number]

/** A user's pinned identity key and current signed device list. */
export interface UserRecord {
  userId: string
  identityKey: string
  deviceList: SignedDeviceList
}

/** One bucket of an all-or-nothing {@link ParleyStore.takeTokens}. */
export interface BucketTake {
  key: string
  capacity: number
  refillPerSecond: number
}

/** A registered device. `active` is false once a newer device list leaves it out. */
export interface DeviceRecord {
  userId: string
  deviceId: string
  signingKey: string
  identityKey: string
  active: boolean
  /** Highest inbox id assigned to this device. */
  inboxSeq: number
  /** Highest inbox id this device acknowledged (its durable cursor). */
  inboxCursor: number
}

/** Everything `device.register` stores, checked by the server first. */
export interface DeviceRegistration {
  userId: string
  userIdentityKey: string
  deviceList: SignedDeviceList
  deviceId: string
  signingKey: string
  identityKey: string
  signedPreKey: SignedPreKey
  kemLastResortPreKey: KemPreKey
  oneTimePreKeys: OneTimePreKey[]
  kemOneTimePreKeys: KemPreKey[]
  now: number
  /** Hex SHA-256 of the reset ticket presented (decision 0024); consumed when this registration pins a new identity after a reset. */
  resetTicketHash?: string
}

/** New prekeys for one device; absent fields are left as they are. */
export interface PreKeyUpload {
  signedPreKey?: SignedPreKey
  kemLastResortPreKey?: KemPreKey
  oneTimePreKeys?: OneTimePreKey[]
  kemOneTimePreKeys?: KemPreKey[]
}

/** Remaining one-time prekeys of a device. */
export interface PreKeyCounts {
  oneTimePreKeys: number
  kemOneTimePreKeys: number
}

/** The result of claiming bundles: every one-time key in it was removed from the store. */
export interface ClaimedBundles {
  userId: string
  userIdentityKey: string
  deviceList: SignedDeviceList
  bundles: DeviceBundle[]
  /** What is left per device after this claim (for `keys.low`). */
  remaining: (PreKeyCounts & { deviceId: string })[]
}

/** A conversation as stored. Members are sorted; 1:1 today, the tables allow groups. */
export type ConversationRecord = ConversationInfo

/** A server-side body sealed at rest (`sealAtRest`), base64, with the data key id. */
export interface SealedBody {
  kid: string
  data: string
}

/** A stored message, mode-change or roster record. Bodies and ciphertext are gone once deleted. */
export interface StoredMessage {
  id: string
  conversationId: string
  seq: number
  ts: number
  kind: 'message' | 'mode_change' | 'roster'
  sender: DeviceAddress
  clientMessageId?: string
  mode: EncryptionMode
  sealedBody?: SealedBody
  attachments?: EncryptedAttachment[]
  franking?: Franking
  modeChange?: ModeChange
  /** `kind: 'roster'`: the signed record. */
  roster?: RosterRecord
  /** A sender-key group message: its one ciphertext (the same for every recipient device). */
  senderKey?: SenderKeyMessage
  deleted: boolean
  expiresAt?: number
}

/** One row of a device's inbox: the message and, for e2ee, this device's envelope. */
export interface StoredDelivery {
  /** This device's inbox id; 0 in history for messages that never went to this device. */
  inboxId: number
  message: StoredMessage
  envelope?: Pick<Envelope, 'type' | 'ciphertext'>
}

/** A message to append. The store assigns `seq` and `ts` in its transaction. */
export interface NewMessage {
  id: string
  conversationId: string
  sender: DeviceAddress
  clientMessageId: string
  mode: EncryptionMode
  tf: string
  /** Server-side: the sealed body. */
  sealedBody?: SealedBody
  /**
   * E2EE: exactly one envelope per current device of every member but the sender's; with
   * `senderKey`, the chain distributions, one per device not in `senderKeyHolders`.
   */
  envelopes?: Envelope[]
  /** A sender-key group message (docs/groups.md): the one ciphertext every member device reads. */
  senderKey?: SenderKeyMessage
  /** With `senderKey`: the devices already given that chain (read from `senderKeys` before the append). */
  senderKeyHolders?: DeviceAddress[]
  attachments?: EncryptedAttachment[]
  expiresAt?: number
  /**
   * Users whose devices get no inbox row (a blocked sender's message to the blocker). E2EE
   * coverage is still checked against every member's devices first, so leaving a blocker's
   * envelopes out is refused as when no block exists (docs/decisions/0005).
   */
  withheldFrom?: string[]
}

/** One recipient device of an appended message. */
export interface Recipient extends DeviceAddress {
  inboxId: number
  envelope?: Pick<Envelope, 'type' | 'ciphertext'>
}

/** Outcome of one message of an `appendMessages` batch. Errors are per message. */
export type AppendOutcome =
  | { ok: true; duplicate: boolean; message: StoredMessage; recipients: Recipient[] }
  | { ok: false; error: unknown }

/**
 * Computes the franking binding once the store has assigned `seq` and `ts` (inside its
 * transaction, so the binding covers exactly what is stored).
 */
export type FrankingBinder = (message: NewMessage, seq: number, ts: number) => Franking

/** Outcome of a mode upgrade. */
export interface UpgradeOutcome {
  conversation: ConversationRecord
  /** False when the conversation was already e2ee (idempotent). */
  changed: boolean
  message?: StoredMessage
  recipients: Recipient[]
}

/** A roster record as stored, with the conversation seq it took. */
export interface RosterEntry {
  record: RosterRecord
  seq: number
}

/**
 * A roster change to write: the signed record and the state it leads to (checked by the
 * server with `applyRosterRecord` first). The store writes the record as a `roster` message
 * at the next seq, the new state and members, and an inbox row for every active device of
 * every member before or after the change (a removed member learns of its removal) but the
 * signing device, all in one transaction.
 */
export interface RosterWrite {
  record: RosterRecord
  state: RosterState
  messageId: string
  now: number
}

/** Outcome of a roster write. */
export interface RosterOutcome {
  conversation: ConversationRecord
  message: StoredMessage
  recipients: Recipient[]
}

/** A stored notice waiting for a device. */
export interface PendingNotice {
  id: number
  notice: Notice
}

/** What `applyPolicy` did. */
export interface PolicyChangeOutcome {
  previous: Policy | null
  changed: boolean
  /** Notices written for participants (one per member per conversation). */
  notices: number
}

/**
 * A verified report as stored: the whole `VerifiedReport` sealed at rest with the server's data
 * key (`sealAtRest`, AAD binding reporter and report id); only what it is looked up by is clear.
 */
export interface SealedReport {
  reporterUserId: string
  reportId: string
  conversationId: string
  receivedAt: number
  sealed: SealedBody
}

/** What `deliveredAfter` counts: messages a device received or sent after a seq. */
export interface DeliveredAfter {
  count: number
  /** Highest seq among them; 0 when `count` is 0. */
  lastSeq: number
}

/** A pending device-link request (new device waiting for its payload). */
export interface LinkRequestRecord {
  codeHash: string
  userId: string
  deviceId: string
  ephemeralKey: string
  expiresAt: number
}

/**
 * The storage interface of the server. Every method is atomic; failures throw typed
 * `@parley/protocol` errors (`NotFoundError`, `ForbiddenError`, `InvalidDeviceListError`,
 * `DowngradeRejectedError`, `StoreError`…) and leave nothing half-written.
 */
export interface ParleyStore {
  /** Backend name, for logs. */
  readonly kind: 'memory' | 'pglite' | 'postgres'
  /** Shared token buckets (rate limits across nodes), also handed to plugins. */
  readonly buckets: TokenBucketStore
  /** Blocks, mutes, message requests and withheld messages (`safety-store.ts`). */
  readonly safety: SafetyStore
  /** Which devices were given which sender-key chain (`sender-key-store.ts`). */
  readonly senderKeys: SenderKeyStore
  /** Opaque encrypted blobs: backups and history transfers (`blob-store.ts`). */
  readonly blobs: BlobStore
  /** How each device asked to be woken while offline (`push-store.ts`). */
  readonly push: PushStore
  /** The one-time registration tickets of account resets (`reset-ticket-store.ts`, decision 0024). */
  readonly resetTickets: ResetTicketStore
  /** Out-of-band attachments in this database (SQL: small deployments; pass as `attachments.store`). */
  readonly attachments: AttachmentStore
  /** Moderator actions and their audit log (suspensions, revocations, closures, report queue). */
  readonly moderation: ModerationStore
  /**
   * Takes one token from every bucket of `takes`, all or none, atomically across nodes (the
   * state lives in the store, so it holds across reconnects and server nodes). Returns 0 when
   * every token was taken; otherwise the ms until every bucket has one again, and takes none.
   */
  takeTokens(takes: BucketTake[], now: number): Promise<number>
  /**
   * Deletes bucket state that has refilled to capacity by `now` (a missing bucket is a full
   * one, so nothing changes but the space used). Returns how many buckets went.
   */
  purgeBuckets(now: number): Promise<number>

  // ---- users, devices, prekeys ----
  getUser(userId: string): Promise<UserRecord | null>
  /**
   * Pins the user identity key on first registration, stores the device list when newer,
   * upserts the device and its prekeys. @throws {IdentityChangedError} when a different user
   * key is pinned. @throws {InvalidDeviceListError} when the list is older than the stored one.
   */
  registerDevice(reg: DeviceRegistration): Promise<void>
  getDevice(userId: string, deviceId: string): Promise<DeviceRecord | null>
  /** Active devices of a user, sorted by device id. */
  listDevices(userId: string): Promise<DeviceRecord[]>
  /**
   * Replaces the device list when `list.version` is higher than the stored one; devices not
   * in it become inactive. @throws {InvalidDeviceListError} on a stale version.
   */
  setDeviceList(userId: string, list: SignedDeviceList): Promise<void>
  publishPreKeys(userId: string, deviceId: string, keys: PreKeyUpload): Promise<PreKeyCounts>
  countPreKeys(userId: string, deviceId: string): Promise<PreKeyCounts>
  /**
   * Bundles for every active device of `userId`, each one-time prekey handed out once
   * (removed in the same transaction). Null for an unknown user. `excludeDeviceId` leaves one
   * device out entirely (a device fetching its own user's bundles needs none of itself).
   */
  claimBundles(userId: string, excludeDeviceId?: string): Promise<ClaimedBundles | null>

  // ---- conversations ----
  /** Finds or creates the 1:1 conversation of two users (idempotent for the pair). */
  openDirectConversation(args: { id: string; userIds: [string, string]; mode: EncryptionMode; upgradeRequired: boolean; now: number }): Promise<{ conversation: ConversationRecord; created: boolean }>
  getConversation(conversationId: string): Promise<ConversationRecord | null>

  // ---- groups (docs/groups.md) ----
  /**
   * Creates a group from its first roster record (`state.version` 1): kind `group`, members
   * from the state, the record at seq 1 delivered to every member device but the creator's.
   */
  createGroup(args: RosterWrite & { mode: EncryptionMode; upgradeRequired: boolean }): Promise<RosterOutcome>
  /**
   * Appends the next roster record of a group: only when the stored roster is at
   * `record.version - 1` with head `record.prev` (compare-and-set across nodes).
   * @throws {RosterRejectedError} `stale` when another change got there first.
   * @throws {NotFoundError} unknown group.
   */
  appendRoster(args: RosterWrite): Promise<RosterOutcome>
  /** The verified roster state the server holds for a group, or null (unknown, or a 1:1). */
  rosterState(conversationId: string): Promise<RosterState | null>
  /** Roster records with version > `afterVersion`, oldest first, at most `limit`. */
  rosterRecords(conversationId: string, afterVersion: number, limit: number): Promise<RosterEntry[]>
  listConversations(userId: string): Promise<ConversationRecord[]>
  /**
   * Records a signed upgrade to e2ee: one-way, appended to history as a `mode_change` delivery
   * for every active device of every member except the upgrading one.
   */
  upgradeConversation(args: { conversationId: string; modeChange: ModeChange; messageId: string; now: number }): Promise<UpgradeOutcome>
  /**
   * Stores a conversation's signed disappearing-messages setting (checked by the server first)
   * when the stored one is at `setting.version - 1` (none: 0): compare-and-set across nodes.
   * Messages appended afterwards get `expiresAt` from it (the handler sets it).
   * @throws {DisappearingRejectedError} `stale` when another change got there first.
   * @throws {NotFoundError} unknown conversation.
   */
  setDisappearing(setting: DisappearingSetting): Promise<ConversationRecord>
  /**
   * Account reset without a backup (docs/recovery.md): forgets `userId`'s pinned identity key
   * and device list, deactivates every device and deletes their prekeys, so the next
   * `device.register` may bring a new identity — never the abandoned key, which is recorded and
   * refused with `IdentityChangedError` from then on (a lost device holds its secret). Messages, conversations and inbox rows stay
   * (readable history of server-side conversations survives; E2EE envelopes were for the old
   * devices). Returns the device ids that were active. Unknown user: `{ devices: [] }`.
   * With `ticket` (decision 0024), in the same transaction: the next registration that pins an
   * identity for the user must consume it (`ResetTicketError` otherwise; a new reset replaces it).
   */
  resetIdentity(userId: string, ticket?: { hash: string; expiresAt: number }): Promise<{ devices: string[] }>
  /**
   * Records the server policy. When it differs from the stored one, server-side conversations
   * get `upgradeRequired` per the new policy (e2ee ones stay e2ee) and every member of every
   * conversation gets a stored notice.
   */
  applyPolicy(policy: Policy, now: number): Promise<PolicyChangeOutcome>

  // ---- messages and inboxes ----
  /**
   * Appends a batch in ONE transaction (group commit): per message, checks membership, mode
   * (`DowngradeRejectedError`) and envelope coverage (`InvalidDeviceListError`), assigns
   * `seq`/`ts`, binds franking, writes the message and an inbox row per recipient device.
   * A resend of the same `clientMessageId` by the same device returns the stored message.
   */
  appendMessages(batch: NewMessage[], bind: FrankingBinder, now: number): Promise<AppendOutcome[]>
  /** Deliveries of a device with inbox id > `after`, oldest first (expired ones excluded). */
  inboxAfter(device: DeviceAddress, after: number, limit: number, now: number): Promise<StoredDelivery[]>
  /** Advances the device's durable cursor (never backwards, never past its last inbox id). */
  ackInbox(device: DeviceAddress, upTo: number): Promise<number>
  /** A page of history newest first, before `before` (exclusive), as `viewer` sees it. */
  history(conversationId: string, viewer: DeviceAddress, before: number | undefined, limit: number, now: number): Promise<StoredDelivery[]>
  /**
   * Delete-for-everyone: drops body, attachments, the sender-key ciphertext and every envelope
   * but a sender-key message's (its chain distributions, no content). Only the sender's user,
   * or a moderator (`byUserId: null`), whose `audit` entry is written in the same transaction.
   * @throws {NotFoundError} @throws {ForbiddenError}
   */
  deleteMessage(args: { conversationId: string; messageId: string; byUserId: string | null; audit?: NewAuditEntry }): Promise<StoredMessage>
  /** Messages of the conversation delivered to, or sent by, `userId`, among `messageIds`. */
  messagesSeenBy(userId: string, conversationId: string, messageIds: string[]): Promise<StoredMessage[]>
  /** Deletes expired messages and their inbox rows. Returns how many messages went. */
  purgeExpired(now: number): Promise<number>

  // ---- notices ----
  addNotices(items: { userId: string; notice: Notice }[]): Promise<void>
  /** Notices stored for the device's user after the device's notice cursor, oldest first. */
  pendingNotices(device: DeviceAddress): Promise<PendingNotice[]>
  ackNotices(device: DeviceAddress, upTo: number): Promise<void>

  // ---- reports (sealed at rest: the store never sees a report's content) ----
  /** Stores a sealed report unless `(reporterUserId, reportId)` exists; then returns the stored one. */
  saveReport(report: SealedReport): Promise<{ duplicate: boolean; report: SealedReport }>
  getReport(reporterUserId: string, reportId: string): Promise<SealedReport | null>
  countReports(): Promise<number>
  /**
   * Seals reports stored in plain JSON by an older version (SQL schema before migration 2)
   * with `seal`, in place, and drops their plaintext. Returns how many. Memory: always 0.
   */
  sealLegacyReports(seal: (report: VerifiedReport) => SealedBody): Promise<number>

  // ---- report coverage (what a report leaves out) ----
  /**
   * Messages (kind `message`, not deleted, not expired) of `conversationId` with seq >
   * `afterSeq` that `device` received (an inbox row of that device) or sent itself: how many,
   * and the highest seq (0 when none). A report whose last verified entry is `afterSeq`
   * leaves these out.
   */
  deliveredAfter(device: DeviceAddress, conversationId: string, afterSeq: number, now: number): Promise<DeliveredAfter>

  // ---- device linking ----
  putLinkRequest(req: LinkRequestRecord): Promise<void>
  getLinkRequest(codeHash: string, now: number): Promise<LinkRequestRecord | null>
  deleteLinkRequest(codeHash: string): Promise<void>

  /** Releases connections / closes the database. */
  close(): Promise<void>
}
