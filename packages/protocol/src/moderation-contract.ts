/**
 * The moderation plugin contract (docs/moderation.md). One object, installable on the server,
 * the client, or both. Content hooks run wherever plaintext exists; metadata and report
 * hooks always run on the server. The contract is versioned so hooks can grow safely.
 */
import type { EncryptionMode, Policy } from './policy.js'
import type { AttachmentMeta } from './frames/messages.js'
import type { MessageRef } from './frames/message-ref.js'
import type { DeviceAddress } from './frames/common.js'

/** The contract version plugins declare. */
export const MODERATION_SPEC_VERSION = 'v1' as const

/** What a plugin decides. `block` and `flag` carry a human reason. */
export type Verdict =
  | { action: 'allow' }
  | { action: 'block'; reason: string }
  | { action: 'flag'; reason: string }

/** A verdict with the plugin that produced it (what pipelines return). */
export type AttributedVerdict = Verdict & { plugin: string }

/** Plaintext message content as hooks see it (attachments by metadata and hash). */
export interface PlainMessage {
  conversationId: string
  sender: DeviceAddress
  text: string
  attachments: AttachmentMeta[]
}

/** Message metadata the server always sees, in every mode. */
export interface EnvelopeMeta {
  conversationId: string
  sender: DeviceAddress
  mode: EncryptionMode
  /** Recipient devices (e2ee) or member users (server-side). */
  recipientCount: number
  /** Total bytes of the frame's content (ciphertext or body). */
  size: number
  attachmentCount: number
  ts: number
}

/** A token bucket shared across server nodes (backed by the store). */
export interface TokenBucketStore {
  /** Takes one token from `key`; false when empty. Atomic across nodes. */
  take(key: string, capacity: number, refillPerSecond: number, now: number): Promise<boolean>
}

/** Context passed to every hook. */
export interface HookContext {
  /** Where this hook is running. */
  where: 'server' | 'client'
  /** Which hook is running. */
  hook: 'checkOutgoing' | 'checkIncoming' | 'checkEnvelope' | 'onReport' | 'onModerationAction'
  policy: Policy
  mode: EncryptionMode
  /** Current time (ms), injected so hooks are testable. */
  now: number
  /** Aborted when the hook's timeout expires. */
  signal: AbortSignal
  /** Shared token buckets (server only). */
  buckets?: TokenBucketStore
}

/** One entry of a verified report. Same shape in every mode. */
export interface VerifiedReportEntry {
  messageId: string
  seq: number
  ts: number
  sender: DeviceAddress
  text: string
  attachments: AttachmentMeta[]
  /** An edit, tombstone, reaction or reply: the message it refers to (franked; docs/messages.md). */
  ref?: MessageRef
  /** The sender's disappearing timer when it sent the message (franked; docs/recovery.md). */
  timer?: number
  /**
   * Deleted for everyone before the report, by a tombstone verified in the same report
   * (decision 0021). With its content (kept by the reporter's device for
   * `REPORT_EVIDENCE_WINDOW_MS`) the opening was verified as for any entry; with empty content
   * (the window passed) only the binding was.
   */
  deleted?: true
  verified: boolean
  /** Why verification failed; absent when verified. */
  failure?:
    | 'bad_opening'
    | 'bad_binding'
    | 'unknown_key'
    | 'wrong_conversation'
    | 'not_delivered_to_reporter'
    | 'duplicate_entry'
    /** Group: the signed roster says the sender was not a member at the entry's seq. */
    | 'sender_not_member'
    /** An edit or tombstone whose target, in the same report, was sent by another user. */
    | 'bad_reference'
    /** Marked `deleted` without a verified tombstone of the sender's user for it in the same report. */
    | 'no_tombstone'
}

/** A report after server verification: handed to `onReport` and stored. */
export interface VerifiedReport {
  reportId: string
  conversationId: string
  reporter: DeviceAddress
  reason: string
  receivedAt: number
  entries: VerifiedReportEntry[]
  transcript: {
    /** Every entry verified, one conversation, strictly increasing seq, no gaps. */
    verified: boolean
    /** Entries are in strictly increasing seq order. */
    ordered: boolean
    /** Sequence numbers missing between the first and last entry (messages not in the report). */
    gaps: number[]
    /**
     * The report reaches the last message the server delivered to (or received from) the
     * reporting device in this conversation: `laterDelivered` is 0. Independent of `verified`.
     */
    complete: boolean
    /**
     * Messages of this conversation the server delivered to the reporting device (or the
     * device sent) after the last verified entry — left out of the report. Same in every mode.
     */
    laterDelivered: number
  }
}

/** Every moderator action that lands in the audit log. */
export type ModerationActionKind =
  | 'suspend_user' | 'unsuspend_user' | 'revoke_device' | 'close_conversation' | 'remove_message' | 'resolve_report' | 'disclosure_export'

/**
 * A moderator action as the audit log records it, handed to `onModerationAction` after the
 * action is committed. Identical in every mode; never carries message content.
 */
export interface ModerationAction {
  /** When it was taken (ms since epoch). */
  at: number
  /** The moderator (an operator id of the integrator's choosing). */
  actor: string
  action: ModerationActionKind
  /** What the action was on: a user, device, conversation, message or report id. */
  target: string
  reason: string
  /** Structured extras (e.g. `until`, `deviceId`, `messageId`, `reporterUserId`). */
  details: Record<string, string | number | boolean | null>
}

/**
 * A moderation plugin. Every hook is optional and may be async. A hook that throws or
 * exceeds its timeout fails closed (blocks) by default, and the failure reaches `onError`.
 */
export interface ModerationPlugin {
  /** Unique name; reported in verdicts and `MessageBlockedError.details.plugin`. */
  name: string
  /** Plugin version, matched against the manifest's required plugins. */
  version: string
  specificationVersion?: typeof MODERATION_SPEC_VERSION
  /** Content hook for the sender's message: server (server-side) or sending client (e2ee). */
  checkOutgoing?(msg: PlainMessage, ctx: HookContext): Verdict | Promise<Verdict>
  /** Content hook for a received message: server (server-side) or receiving client (e2ee). */
  checkIncoming?(msg: PlainMessage, ctx: HookContext): Verdict | Promise<Verdict>
  /** Metadata hook: always on the server, every mode. */
  checkEnvelope?(env: EnvelopeMeta, ctx: HookContext): Verdict | Promise<Verdict>
  /** Verified user reports: always on the server, identical shape in every mode. */
  onReport?(report: VerifiedReport, ctx: HookContext): void | Promise<void>
  /**
   * A moderator action, after it is committed: always on the server, identical in every mode
   * (e.g. to mirror the audit log into a ticketing system). Added in v1 as an optional hook.
   */
  onModerationAction?(action: ModerationAction, ctx: HookContext): void | Promise<void>
}

/** The payload `onFlag` receives, identical in every mode. */
export interface FlagEvent {
  plugin: string
  reason: string
  hook: 'checkOutgoing' | 'checkIncoming' | 'checkEnvelope'
  where: 'server' | 'client'
  conversationId: string
  sender: DeviceAddress
  messageId?: string
}
