/**
 * Webhook report sink (docs/moderation.md, "Webhook sink"): POSTs each verified report as
 * JSON with an HMAC-SHA256 signature header, retrying network errors, 429 and 5xx with
 * exponential backoff. When it gives up, its `onReport` rejects with a typed error, which
 * the pipeline hands to `onError` as a `PluginFailedError` (cause attached): nothing throws
 * out of the pipeline. Uses `fetch`, so it runs in browsers and Node.
 */
import { ConnectionError, TimeoutError, type HookContext, type ModerationPlugin, type VerifiedReport } from '@parley/protocol'
import { _name } from '../_options.js'
import { MODERATION_VERSION } from '../version.js'
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, _secretBytes, signWebhookBody } from './signature.js'

/** Default number of retries after the first attempt. */
export const DEFAULT_WEBHOOK_RETRIES = 3
/** Default delay before the first retry, in ms; doubles each retry. */
export const DEFAULT_WEBHOOK_BACKOFF_MS = 250
/** Longest delay between two attempts, in ms. */
export const MAX_WEBHOOK_BACKOFF_MS = 60_000
/** Most retries accepted. */
export const MAX_WEBHOOK_RETRIES = 10
/** The body's `type` field. */
export const WEBHOOK_EVENT_TYPE = 'parley.report'

/** The JSON body the webhook receives (signed byte for byte). */
export interface WebhookBody {
  type: typeof WEBHOOK_EVENT_TYPE
  /** When this delivery was first attempted (ms); covered by the signature. */
  sentAt: number
  report: VerifiedReport
}

/** The `fetch` subset the sink uses (inject one for tests or custom agents). */
export type WebhookFetch = (
  url: string,
  init: { method: 'POST'; headers: Record<string, string>; body: string; signal: AbortSignal },
) => Promise<{ status: number; body?: unknown; arrayBuffer?: () => Promise<ArrayBuffer> }>

/** Options of {@link webhookSink}. */
export interface WebhookSinkOptions {
  /** `http:` or `https:` URL to POST to. */
  url: string
  /** Shared secret for the HMAC (at least 16 bytes). */
  secret: string | Uint8Array
  /** Retries after the first attempt. Default {@link DEFAULT_WEBHOOK_RETRIES}. */
  retries?: number
  /** Delay before the first retry, doubling each time. Default {@link DEFAULT_WEBHOOK_BACKOFF_MS}. */
  backoffMs?: number
  /** Default `globalThis.fetch`. */
  fetch?: WebhookFetch
  /** Plugin name. Default `'webhook-sink'`. */
  name?: string
}

function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false)
    const onAbort = () => {
      clearTimeout(timer)
      resolve(false)
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}

/**
 * A report sink that POSTs every verified report to `url`, signed.
 *
 * @throws {TypeError} when `url` is not an http(s) URL or `fetch` is unavailable.
 * @throws {RangeError} when `secret` is shorter than 16 bytes, or `retries`/`backoffMs` is out of range.
 * @example webhookSink({ url: 'https://moderation.example/hook', secret: process.env.HOOK_SECRET!, retries: 3, backoffMs: 500 })
 */
export function webhookSink(options: WebhookSinkOptions): ModerationPlugin {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  let url: URL
  try {
    url = new URL(options.url)
  } catch {
    throw new TypeError('"url" expected an absolute http(s) URL')
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`"url" expected http: or https:, got ${url.protocol}`)
  const secret = _secretBytes(options.secret)
  const retries = options.retries ?? DEFAULT_WEBHOOK_RETRIES
  if (!Number.isSafeInteger(retries) || retries < 0 || retries > MAX_WEBHOOK_RETRIES) throw new RangeError(`"retries" expected an integer in 0..${MAX_WEBHOOK_RETRIES}, got ${retries}`)
  const backoffMs = options.backoffMs ?? DEFAULT_WEBHOOK_BACKOFF_MS
  if (typeof backoffMs !== 'number' || !(backoffMs >= 0 && backoffMs <= MAX_WEBHOOK_BACKOFF_MS)) {
    throw new RangeError(`"backoffMs" expected 0..${MAX_WEBHOOK_BACKOFF_MS}, got ${backoffMs}`)
  }
  const doFetch = (options.fetch ?? (globalThis.fetch as unknown as WebhookFetch | undefined))?.bind(globalThis)
  if (typeof doFetch !== 'function') throw new TypeError('"fetch" expected a function (no global fetch)')
  const name = _name(options.name, 'webhook-sink')
  const target = url.href
  // Errors name the origin only: paths and query strings may hold tokens.
  const origin = url.origin

  return {
    name,
    version: MODERATION_VERSION,
    specificationVersion: 'v1',
    async onReport(report: VerifiedReport, ctx: HookContext): Promise<void> {
      const payload: WebhookBody = { type: WEBHOOK_EVENT_TYPE, sentAt: ctx.now, report }
      const body = JSON.stringify(payload)
      const headers = {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signWebhookBody(body, secret),
        [TIMESTAMP_HEADER]: String(ctx.now),
      }
      let last = 'no attempt'
      for (let attempt = 0; attempt <= retries; attempt++) {
        if (attempt > 0) {
          const delay = Math.min(MAX_WEBHOOK_BACKOFF_MS, backoffMs * 2 ** (attempt - 1))
          if (!(await sleep(delay, ctx.signal))) break
        }
        if (ctx.signal.aborted) break
        try {
          const res = await doFetch(target, { method: 'POST', headers, body, signal: ctx.signal })
          // Drain the body so keep-alive sockets are released.
          await res.arrayBuffer?.().catch(() => undefined)
          if (res.status >= 200 && res.status < 300) return
          last = `HTTP ${res.status}`
          if (res.status < 500 && res.status !== 429 && res.status !== 408) {
            throw new ConnectionError(`webhook ${origin} rejected the report: ${last}`, { origin, status: res.status, attempts: attempt + 1 })
          }
        } catch (e) {
          if (ConnectionError.isInstance(e)) throw e
          last = 'network error'
        }
      }
      if (ctx.signal.aborted) throw new TimeoutError(`webhook ${origin} timed out (last: ${last})`, { operation: 'webhook' })
      throw new ConnectionError(`webhook ${origin} failed after ${retries + 1} attempts (last: ${last})`, { origin, attempts: retries + 1 })
    },
  }
}
