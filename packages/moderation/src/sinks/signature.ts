/**
 * Webhook signatures (docs/moderation.md, "Webhook sink"): `x-parley-signature:
 * sha256=<hex>` where hex is HMAC-SHA256(secret, exact body bytes). The body itself carries
 * `sentAt`, so the timestamp is covered by the signature; the `x-parley-timestamp` header
 * repeats it for routing. Verification is constant-time.
 */
import { hmac } from '@noble/hashes/hmac.js'
import { sha256 } from '@noble/hashes/sha2.js'
import { bytesToHex, hexToBytes, utf8ToBytes } from '@noble/hashes/utils.js'

/** Header carrying the body signature. */
export const SIGNATURE_HEADER = 'x-parley-signature'
/** Header carrying the send time (ms since the epoch); also inside the signed body as `sentAt`. */
export const TIMESTAMP_HEADER = 'x-parley-timestamp'
/** Shortest secret accepted, in bytes. */
export const MIN_WEBHOOK_SECRET_BYTES = 16

/** Checks a webhook secret (string as UTF-8, or bytes) and returns it as bytes. */
export function _secretBytes(secret: string | Uint8Array, arg = 'secret'): Uint8Array {
  const bytes = typeof secret === 'string' ? utf8ToBytes(secret) : secret instanceof Uint8Array ? secret : null
  if (bytes === null) throw new TypeError(`"${arg}" expected a string or Uint8Array`)
  if (bytes.length < MIN_WEBHOOK_SECRET_BYTES) throw new RangeError(`"${arg}" expected at least ${MIN_WEBHOOK_SECRET_BYTES} bytes, got length=${bytes.length}`)
  return bytes
}

function bodyBytes(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? utf8ToBytes(body) : body
}

/**
 * The `x-parley-signature` value for `body`: `sha256=<hex HMAC-SHA256(secret, body)>`.
 *
 * @throws {TypeError|RangeError} when `secret` is not a string/bytes of at least {@link MIN_WEBHOOK_SECRET_BYTES}.
 * @example signWebhookBody('{"a":1}', 'a-long-shared-secret') // 'sha256=…'
 */
export function signWebhookBody(body: string | Uint8Array, secret: string | Uint8Array): string {
  return `sha256=${bytesToHex(hmac(sha256, _secretBytes(secret), bodyBytes(body)))}`
}

/**
 * For receivers: true when `header` is a valid `x-parley-signature` of the exact raw `body`
 * under `secret`. Constant-time; returns false (never throws) on a missing or malformed
 * header. Then check the body's `sentAt` is recent and de-duplicate on `report.reportId`.
 *
 * @throws {TypeError|RangeError} only for an invalid `secret` (a configuration error).
 * @example
 * if (!verifyWebhookSignature(rawBody, req.headers['x-parley-signature'], secret)) res.writeHead(401)
 */
export function verifyWebhookSignature(body: string | Uint8Array, header: string | null | undefined, secret: string | Uint8Array): boolean {
  const key = _secretBytes(secret)
  if (typeof header !== 'string') return false
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim())
  if (m === null) return false
  if (typeof body !== 'string' && !(body instanceof Uint8Array)) return false
  const expected = hmac(sha256, key, bodyBytes(body))
  const given = hexToBytes(m[1]!.toLowerCase())
  let diff = 0
  for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ given[i]!
  return diff === 0
}
