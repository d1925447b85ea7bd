/**
 * The `ParleyStore` interface: every durable thing the server keeps, as small async methods.
 * Each method is atomic on its own (a transaction inside the store, never a JS lock), so
 * several server processes can share one PostgreSQL. Three backends implement it and run one
 * conformance suite (`contract.ts`): `memoryStore`, `pgliteStore`, `postgresStore`.
 */
import type {
  DeviceAddress, DisappearingSetting, EncryptionMode, ModeChange, Notice, Policy, SignedDeviceList, TokenBucketStore, VerifiedReport,
} from '@parley/protocol'
import type { RosterState } from '@parley/crypto'
import type { SafetyStore } from './safety-store.js'
import type { PushStore } from './push-store.js'
import type { ResetTicketStore } from './reset-ticket-store.js'
import type { AttachmentStore } from '../attachments/attachment-store.js'
import type { SenderKeyStore } from './sender-key-store.js'
import type { BlobStore } from './blob-store.js'
import type { ClaimedBundles, DeviceRecord, DeviceRegistration, LinkRequestRecord, PreKeyCounts, PreKeyUpload, UserRecord } from './store-devices.js'
import type { AppendOutcome, ConversationRecord, FrankingBinder, NewMessage, SealedBody, StoredDelivery, StoredMessage, UpgradeOutcome } from './store-messages.js'
import type { RosterEntry, RosterOutcome, RosterWrite } from './store-groups.js'
import type { PendingNotice, PolicyChangeOutcome } from './store-notices.js'
import type { DeliveredAfter, SealedReport } from './store-reports.js'

import type { ModerationStore, NewAuditEntry } from './moderation-store.js'

// The records the methods take and return, one file per concern.
export type * from './store-devices.js'
export type * from './store-messages.js'
export type * from './store-groups.js'
export type * from './store-notices.js'
export type * from './store-reports.js'

/** One bucket of an all-or-nothing {@link ParleyStore.takeTokens}. */
export interface BucketTake {
  key: string
  capacity: number
  refillPerSecond: number
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
