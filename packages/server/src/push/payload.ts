/**
 * The default Web Push payload (docs/push.md): what the browser's service worker receives,
 * encrypted to the subscription's keys (RFC 8291) so the push service reads none of it. For an
 * E2EE conversation it is a content-free wake-up — ids and a count, nothing the sender wrote —
 * because the server has nothing else; for a server-side conversation it adds the preview.
 */
import type { OfflineDelivery, PushPreview } from './types.js'

/** Version of the default payload's shape (the service worker switches on it). */
export const PUSH_PAYLOAD_VERSION = 1

/** The default payload. `preview` only when the delivery has one (server-side conversations). */
export interface PushPayload {
  v: typeof PUSH_PAYLOAD_VERSION
  type: 'parley.message'
  conversationId: string
  messageId: string
  count: number
  /** Server-side only: who wrote the newest message and its preview. */
  preview?: PushPreview & { from: string }
}

/** Builds the default payload of a delivery. */
export function defaultPushPayload(d: OfflineDelivery): PushPayload {
  return {
    v: PUSH_PAYLOAD_VERSION, type: 'parley.message', conversationId: d.conversationId, messageId: d.messageId, count: d.count,
    ...(d.mode === 'server-side' && d.preview ? { preview: { ...d.preview, from: d.sender.userId } } : {}),
  }
}
