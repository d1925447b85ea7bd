/**
 * The push hook's contract (issue 18, docs/push.md): what `onOfflineDelivery` receives for a
 * device that was offline when messages reached its inbox, and the limits of the dispatcher
 * that calls it. One call per offline device and conversation per coalescing window, never for
 * a connected device, never for the sender's own devices.
 */
import type { DeviceAddress, EncryptionMode, MessageRefKind, PushRegistration } from '@parley/protocol'

/** Default coalescing window, ms: messages for one offline device within it make one call. */
export const DEFAULT_PUSH_COALESCE_MS = 250
/** Longest coalescing window the `pushCoalesceMs` option takes, ms. */
export const MAX_PUSH_COALESCE_MS = 60_000
/**
 * How long one batch waits for its hook calls, ms. A slower call is reported as a
 * `TimeoutError` (where `onOfflineDelivery`) and left running; the next batch starts.
 */
export const PUSH_HOOK_TIMEOUT_MS = 10_000
/**
 * Most (device, conversation) entries one batch holds. While a batch is stuck (a store outage,
 * a slow adapter), new entries beyond this are dropped (logged once per batch) rather than
 * growing memory without bound; entries already pending still coalesce.
 */
export const MAX_PENDING_PUSHES = 50_000
/** Longest preview text, UTF-16 code units (cut on a code point boundary). */
export const MAX_PUSH_PREVIEW_LENGTH = 140

/**
 * What a server-side conversation's message looks like in a notification. Only for
 * `mode: 'server-side'`: the server never has, and so never hands out, E2EE content.
 */
export interface PushPreview {
  /** The message text, at most {@link MAX_PUSH_PREVIEW_LENGTH} code units (`truncated` says if cut). */
  text: string
  truncated: boolean
  /** Inline attachments of the message. */
  attachments: number
  /** When the message is an action on another one: which (edit, delete, react, unreact, reply). */
  ref?: MessageRefKind
}

/** One call of `onOfflineDelivery`: the latest of `count` messages that reached an offline device's inbox. */
export interface OfflineDelivery {
  /** The offline device. */
  device: DeviceAddress
  /** How the device asked to be woken (`client.registerPushToken`), newest first; empty when it never did. */
  registrations: PushRegistration[]
  conversationId: string
  /** The newest message of the batch (its server id). */
  messageId: string
  /** Messages of this conversation for this device in the batch (≥ 1). */
  count: number
  /** Who sent the newest message (metadata the server routes by in every mode). */
  sender: DeviceAddress
  /** The mode of the newest message. */
  mode: EncryptionMode
  /** Server time of the newest message, ms. */
  ts: number
  /** The device's user muted this conversation (`conversation.mute()`): the app asked for no notifications. */
  muted: boolean
  /** Server-side messages only: a preview of the newest message. Never present for `e2ee`. */
  preview?: PushPreview
}

/** What a hook call may do besides sending: drop a registration the push service says is gone. */
export interface PushHookContext {
  /** Forgets one registration of this delivery's device (an expired subscription: 404/410). */
  removeRegistration(id: string): Promise<boolean>
}

/**
 * The server option `onOfflineDelivery`. Called after the messages are stored (a push never
 * stands for an unstored message); a throw, rejection or timeout goes to `onError` with
 * `where: 'onOfflineDelivery'` and never affects delivery or other calls.
 */
export type OnOfflineDelivery = (delivery: OfflineDelivery, ctx: PushHookContext) => void | Promise<void>
