/**
 * `client.registerPushToken` / `unregisterPushToken` (issue 18, docs/push.md): tells the server
 * how to wake this device while it is offline — a browser's Web Push subscription (what
 * `pushManager.subscribe()` returns, or its `toJSON()`) or a native push token — so the
 * server's `onOfflineDelivery` hook can reach it. The registration is checked against the wire
 * schema here, so bad input is an `InvalidFrameError` before anything is sent.
 *
 * What a push can carry depends on the conversation, not on the client: in an E2EE conversation
 * the server has no content to put in it (a content-free wake-up; the app then connects and
 * decrypts), in a server-side one the integrator may show a preview.
 */
import { sha256Base64 } from '@parley/crypto'
import { parseWith, PushRegistrationSchema, type PushRegistration } from '@parley/protocol'
import type { ClientCore } from '../core.js'

/** A Web Push subscription as the browser gives it (`PushSubscription` or its `toJSON()`). */
export type WebPushSubscriptionInput =
  | { endpoint: string; keys: { p256dh: string; auth: string }; expirationTime?: number | null }
  | { toJSON(): unknown }

/** What `registerPushToken` takes. `id` defaults to one derived from the endpoint or token (registering it again replaces it). */
export type PushTokenInput =
  | { kind: 'web-push'; subscription: WebPushSubscriptionInput; id?: string }
  | { kind: 'token'; provider: string; token: string; id?: string }

/** The stored registration's id and how many this device has (at most `MAX_PUSH_REGISTRATIONS`). */
export interface PushTokenResult {
  id: string
  registrations: number
}

/** A stable id for one endpoint or token: the same subscription registered twice is one registration. */
function defaultId(what: string): string {
  const h = sha256Base64(new TextEncoder().encode(`parley/push-id/v1\n${what}`))
  return `p_${h.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '').slice(0, 22)}`
}

/** The wire form of `input` (`expirationTime` dropped: the push service enforces it). */
function toRegistration(input: PushTokenInput): PushRegistration {
  if (input === null || typeof input !== 'object') throw new TypeError('"registration" expected { kind: "web-push", subscription } or { kind: "token", provider, token }')
  if (input.kind === 'web-push') {
    const raw = typeof (input.subscription as { toJSON?: unknown })?.toJSON === 'function' ? (input.subscription as { toJSON(): unknown }).toJSON() : input.subscription
    const sub = (raw ?? {}) as { endpoint?: unknown; keys?: { p256dh?: unknown; auth?: unknown } }
    const endpoint = typeof sub.endpoint === 'string' ? sub.endpoint : ''
    return parseWith(PushRegistrationSchema, {
      kind: 'web-push', id: input.id ?? defaultId(endpoint), subscription: { endpoint, keys: { p256dh: sub.keys?.p256dh, auth: sub.keys?.auth } },
    }, 'registration')
  }
  const { provider, token } = input as { provider?: unknown; token?: unknown }
  return parseWith(PushRegistrationSchema, {
    kind: input.kind, id: input.id ?? defaultId(`${String(provider)}\n${String(token)}`), provider, token,
  }, 'registration')
}

/**
 * Stores a push registration for this device on the server (replacing one with the same id).
 * @throws {InvalidFrameError} a malformed subscription or token (nothing is sent).
 * @throws {TypeError} not an object.
 */
export async function registerPushToken(core: ClientCore, input: PushTokenInput): Promise<PushTokenResult> {
  const registration = toRegistration(input)
  await core.whenReady()
  const { registrations } = await core.conn.request('push.register', { registration })
  return { id: registration.id, registrations }
}

/** Forgets one registration of this device; false when the server had none with that id. */
export async function unregisterPushToken(core: ClientCore, id: string): Promise<boolean> {
  if (typeof id !== 'string' || !id) throw new TypeError('"id" expected a non-empty string')
  await core.whenReady()
  return (await core.conn.request('push.unregister', { id })).removed
}
