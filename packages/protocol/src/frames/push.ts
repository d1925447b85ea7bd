/**
 * Push registrations (issue 18, docs/push.md): a device tells the server how to wake it while it
 * is offline — a Web Push subscription (RFC 8030 endpoint plus the RFC 8291 keys the payload is
 * encrypted to) or an opaque token of a native push service (APNs, FCM…) for the integrator's
 * own sender. The server stores at most {@link MAX_PUSH_REGISTRATIONS} per device and hands them
 * to its `onOfflineDelivery` hook; it never reads anything else from them.
 *
 * Every field is canonical, so one subscription has one stored form: the endpoint is an https
 * URL exactly as `new URL(endpoint).href` prints it (no credentials), the keys unpadded base64url
 * of their exact sizes (what the browser's `PushSubscription.toJSON()` gives).
 */
import * as v from 'valibot'
import { IdSchema, TOO_LARGE } from './common.js'

/** Most push registrations one device keeps; registering another replaces the oldest. */
export const MAX_PUSH_REGISTRATIONS = 4
/** Longest Web Push endpoint URL, in characters (push services use ~200). */
export const MAX_PUSH_ENDPOINT_LENGTH = 2_048
/** Longest native push token, in characters (APNs 64 hex, FCM ~160). */
export const MAX_PUSH_TOKEN_LENGTH = 4_096
/** Longest push provider name (`apns`, `fcm`…). */
export const MAX_PUSH_PROVIDER_LENGTH = 32
/** Bytes of a subscription's P-256 public key (uncompressed point, RFC 8291 `p256dh`). */
export const PUSH_P256DH_BYTES = 65
/** Bytes of a subscription's authentication secret (RFC 8291 `auth`). */
export const PUSH_AUTH_BYTES = 16

/** Characters of unpadded base64url for `bytes` bytes. */
const base64urlLength = (bytes: number) => Math.ceil((bytes * 4) / 3)

/** Unpadded base64url of exactly `bytes` bytes (`first`: a pattern for the first character). */
function base64urlExact(bytes: number, first?: string) {
  const len = base64urlLength(bytes)
  return v.pipe(
    v.string(),
    v.maxLength(len, TOO_LARGE),
    v.length(len, `expected unpadded base64url of ${bytes} bytes`),
    v.regex(first ? new RegExp(`^${first}[A-Za-z0-9_-]*$`) : /^[A-Za-z0-9_-]+$/, 'expected unpadded base64url'),
  )
}

/** True when `s` is an https URL without credentials, written as the URL parser writes it. */
export function isCanonicalPushEndpoint(s: string): boolean {
  let url: URL
  try {
    url = new URL(s)
  } catch {
    return false
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && url.hash === '' && url.href === s
}

/** A Web Push endpoint: a canonical https URL (the push service's, chosen by the browser). */
export const PushEndpointSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_PUSH_ENDPOINT_LENGTH, TOO_LARGE),
  v.check(isCanonicalPushEndpoint, 'expected a canonical https URL without credentials or fragment'),
)

/** A browser's `PushSubscription.toJSON()` without `expirationTime`. */
export const WebPushSubscriptionSchema = v.strictObject({
  endpoint: PushEndpointSchema,
  keys: v.strictObject({
    // An uncompressed P-256 point starts with byte 0x04, so its base64url with 'B'.
    p256dh: base64urlExact(PUSH_P256DH_BYTES, 'B'),
    auth: base64urlExact(PUSH_AUTH_BYTES),
  }),
})
export type WebPushSubscription = v.InferOutput<typeof WebPushSubscriptionSchema>

/** A push provider's name: lower-case letters, digits and dashes. */
export const PushProviderSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_PUSH_PROVIDER_LENGTH, TOO_LARGE),
  v.regex(/^[a-z0-9][a-z0-9-]*$/, 'expected lower-case letters, digits and dashes'),
)
/** A native push token: printable ASCII without spaces. */
export const PushTokenSchema = v.pipe(
  v.string(),
  v.maxLength(MAX_PUSH_TOKEN_LENGTH, TOO_LARGE),
  v.regex(/^[\x21-\x7e]+$/, 'expected 1+ printable ASCII characters without spaces'),
)

/**
 * One way to wake a device: `web-push` (the server's built-in `webPushSender` can use it) or a
 * native `token` (for the integrator's own sender). `id` is chosen by the device; registering
 * an id again replaces that registration.
 */
export const PushRegistrationSchema = v.variant('kind', [
  v.strictObject({ kind: v.literal('web-push'), id: IdSchema, subscription: WebPushSubscriptionSchema }),
  v.strictObject({ kind: v.literal('token'), id: IdSchema, provider: PushProviderSchema, token: PushTokenSchema }),
])
export type PushRegistration = v.InferOutput<typeof PushRegistrationSchema>

/** `push.register` (client → server): store this registration for the sending device. */
export const PushRegisterSchema = v.strictObject({ registration: PushRegistrationSchema })
/** Ack of `push.register`: how many registrations the device now has (at most {@link MAX_PUSH_REGISTRATIONS}). */
export const PushRegisterResultSchema = v.strictObject({
  registrations: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_PUSH_REGISTRATIONS)),
})

/** `push.unregister` (client → server): forget one registration of the sending device. Idempotent. */
export const PushUnregisterSchema = v.strictObject({ id: IdSchema })
export const PushUnregisterResultSchema = v.strictObject({ removed: v.boolean() })
