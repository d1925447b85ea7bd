/**
 * `webPushSender({ vapid })` (issue 18, docs/push.md): a ready-made `onOfflineDelivery` that
 * sends each delivery to the device's Web Push subscriptions with the `web-push` library —
 * payload encrypted to the subscription (RFC 8291, aes128gcm), VAPID-signed (RFC 8292), one
 * `Topic` per conversation so a push service keeps only the newest undelivered push of each.
 * A subscription the push service reports gone (404, 410) is removed from the store.
 *
 * Endpoints come from clients, so the sender only contacts push services on its allow-list (by
 * default the public services of Chrome, Firefox, Edge and Safari): a client cannot make the
 * server send requests into its own network.
 */
import { createHash } from 'node:crypto'
import type { Agent } from 'node:https'
import webpush from 'web-push'
import type { PushRegistration } from '@parley/protocol'
import { defaultPushPayload } from './payload.js'
import type { OfflineDelivery, OnOfflineDelivery } from './types.js'

/** Default time a push service keeps an undelivered push, seconds (one day: later, the device syncs anyway). */
export const DEFAULT_WEB_PUSH_TTL_SECONDS = 24 * 60 * 60
/** How long one request to a push service may take, ms. */
export const WEB_PUSH_TIMEOUT_MS = 10_000
/** Largest payload a push service must accept, bytes (RFC 8291 §4: 4096 minus the encryption overhead). */
export const MAX_WEB_PUSH_PAYLOAD_BYTES = 3_993
/** Hosts (and their subdomains, when written `.host`) of the public Web Push services. */
export const DEFAULT_PUSH_SERVICE_HOSTS: readonly string[] = Object.freeze([
  'fcm.googleapis.com', // Chrome, Chromium-based browsers
  'updates.push.services.mozilla.com', // Firefox
  '.notify.windows.com', // Edge (WNS)
  'web.push.apple.com', // Safari
  '.push.apple.com',
])

/** The VAPID identity of the application server (generate once with `npx web-push generate-vapid-keys`). */
export interface VapidKeys {
  /** A `mailto:` or `https:` contact for the push service operator. */
  subject: string
  /** base64url P-256 public key (the browser's `applicationServerKey`). */
  publicKey: string
  /** base64url P-256 private key. Keep it secret, like any server key. */
  privateKey: string
}

export interface WebPushSenderOptions {
  vapid: VapidKeys
  /** Which endpoints may be contacted. Default: https on port 443 of {@link DEFAULT_PUSH_SERVICE_HOSTS}. */
  allowEndpoint?: (endpoint: URL) => boolean
  /** The JSON the service worker receives. Default {@link defaultPushPayload} (content-free for E2EE). */
  payload?: (delivery: OfflineDelivery) => unknown
  /** Seconds a push service keeps an undelivered push. Default {@link DEFAULT_WEB_PUSH_TTL_SECONDS}. */
  ttlSeconds?: number
  /** Default `'high'` (a message for a person). */
  urgency?: 'very-low' | 'low' | 'normal' | 'high'
  /** An https agent for the requests (a proxy, a custom CA). */
  agent?: Agent
  /**
   * Push for conversations the user muted too. Default false: a browser shows every Web Push
   * (`userVisibleOnly`), so a muted conversation is not pushed; the device catches up when opened.
   */
  notifyMuted?: boolean
}

/** True for https on the default port of one of `hosts` (`.host` also matches its subdomains). */
export function isPushServiceEndpoint(endpoint: URL, hosts: readonly string[] = DEFAULT_PUSH_SERVICE_HOSTS): boolean {
  if (endpoint.protocol !== 'https:' || endpoint.port !== '') return false
  const h = endpoint.hostname
  return hosts.some((allowed) => (allowed.startsWith('.') ? h.endsWith(allowed) && h.length > allowed.length : h === allowed))
}

/** One `Topic` per conversation (≤ 32 base64url characters), naming nothing the push service can read. */
const topicOf = (conversationId: string) => createHash('sha256').update(`parley/push-topic/v1\n${conversationId}`).digest('base64url').slice(0, 32)

/**
 * Creates the sender. Pass it as the server's `onOfflineDelivery` (or call it from your own hook).
 * A failed subscription does not stop the others; the call then rejects with the failures
 * (the server reports them to `onError`), never with payload content.
 * @throws {TypeError} bad VAPID keys or subject, or a bad option.
 * @example
 * createParleyServer({ ..., onOfflineDelivery: webPushSender({ vapid: { subject: 'mailto:ops@example.com', publicKey, privateKey } }) })
 */
export function webPushSender(options: WebPushSenderOptions): OnOfflineDelivery {
  if (!options || typeof options !== 'object' || !options.vapid) throw new TypeError('"vapid" expected { subject, publicKey, privateKey }')
  const { subject, publicKey, privateKey } = options.vapid
  try {
    // Validates subject and both keys now rather than at the first push.
    webpush.getVapidHeaders('https://fcm.googleapis.com', subject, publicKey, privateKey, 'aes128gcm')
  } catch (e) {
    throw new TypeError(`"vapid" rejected: ${(e as Error).message}`)
  }
  const ttl = options.ttlSeconds ?? DEFAULT_WEB_PUSH_TTL_SECONDS
  if (!Number.isInteger(ttl) || ttl < 0) throw new TypeError('"ttlSeconds" expected a non-negative integer')
  const allow = options.allowEndpoint ?? ((u: URL) => isPushServiceEndpoint(u))
  const payloadOf = options.payload ?? defaultPushPayload

  return async (delivery, ctx) => {
    if (delivery.muted && !options.notifyMuted) return
    const subs = delivery.registrations.filter((r): r is Extract<PushRegistration, { kind: 'web-push' }> => r.kind === 'web-push')
    if (!subs.length) return
    const body = Buffer.from(JSON.stringify(payloadOf(delivery)), 'utf8')
    if (body.length > MAX_WEB_PUSH_PAYLOAD_BYTES) throw new RangeError(`push payload is ${body.length} bytes, above ${MAX_WEB_PUSH_PAYLOAD_BYTES}`)
    const failures: unknown[] = []
    await Promise.all(subs.map(async (r) => {
      if (!allow(new URL(r.subscription.endpoint))) {
        failures.push(new Error(`push endpoint host not allowed: ${new URL(r.subscription.endpoint).host}`))
        return
      }
      try {
        await webpush.sendNotification(r.subscription, body, {
          vapidDetails: { subject, publicKey, privateKey }, TTL: ttl, urgency: options.urgency ?? 'high', topic: topicOf(delivery.conversationId),
          contentEncoding: 'aes128gcm', timeout: WEB_PUSH_TIMEOUT_MS, ...(options.agent ? { agent: options.agent } : {}),
        })
      } catch (e) {
        const status = (e as { statusCode?: number }).statusCode
        if (status === 404 || status === 410) await ctx.removeRegistration(r.id) // the subscription is gone for good
        else failures.push(new Error(`web push to ${new URL(r.subscription.endpoint).host} failed${status ? ` with HTTP ${status}` : ''}: ${(e as Error).message}`))
      }
    }))
    if (failures.length === 1) throw failures[0]
    if (failures.length) throw new AggregateError(failures, `${failures.length} web pushes failed`)
  }
}
