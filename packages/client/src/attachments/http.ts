/**
 * The attachment routes from the client side: the base URL, the bearer token (the one the
 * socket sends) and the server's wire errors turned back into their typed classes.
 */
import { ConnectionError, DEFAULT_ATTACHMENTS_PATH, errorFromWire, InternalError, type ParleyError, type WireError } from '@parley/protocol'

/** How the client reaches the routes. */
export interface AttachmentEndpoint {
  /** Base URL of the routes, e.g. `https://chat.example/parley/attachments`. */
  base: string
  token(): Promise<string>
  fetch: typeof fetch
}

/** The routes' base URL for a client `url` (its origin) unless `attachmentsUrl` is given. */
export function attachmentsBase(url: string, attachmentsUrl?: string): string {
  if (attachmentsUrl !== undefined) return attachmentsUrl.replace(/\/+$/, '')
  return new URL(DEFAULT_ATTACHMENTS_PATH, url).toString()
}

/** Resolves the client's `token` option. */
export async function resolveToken(token: string | (() => string | Promise<string>)): Promise<string> {
  return typeof token === 'function' ? token() : token
}

/** The typed error of a non-2xx answer. */
export async function httpError(res: Response): Promise<ParleyError> {
  let wire: WireError | undefined
  try {
    const body = (await res.json()) as { error?: WireError }
    wire = body?.error
  } catch {
    // not JSON: a proxy or another app answered
  }
  if (wire && typeof wire.code === 'string' && typeof wire.message === 'string') return errorFromWire(wire)
  return res.status >= 500 ? new InternalError(`attachment route answered HTTP ${res.status}`) : new ConnectionError(`attachment route answered HTTP ${res.status}`)
}

/** Error codes of a connection that broke (worth resuming), as Node reports them. */
const BROKEN_CONNECTION_CODES = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'ECONNREFUSED'])

/** True for a failure of the connection itself (worth resuming), not an answer: fetch rejects with TypeError then. */
export function isNetworkError(e: unknown): boolean {
  if (e instanceof TypeError) return true
  return typeof e === 'object' && e !== null && BROKEN_CONNECTION_CODES.has(String((e as { code?: unknown }).code))
}
