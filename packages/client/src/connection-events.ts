/**
 * What a client does when its socket connects, drops or is refused at the handshake: set up
 * on every (re)connect and start over when setup fails for a passing reason; hand a typed
 * refusal (suspended, revoked, unauthorized) to the first run or the app; come back later
 * after a retryable refusal, which socket.io-client itself never retries.
 */
import { ConnectionError, DeviceRevokedError, ParleyError, StoreError, UnauthorizedError } from '@parley/protocol'
import { handshakeRefusal, RETRYABLE_HANDSHAKE_CODES, type Connection } from './connection.js'
import { SETUP_RETRY_MS } from './constants.js'
import type { ErrorPayload } from './types.js'
import { isTransient } from './util.js'

/** The client's side of its connection's events. */
export interface ConnectionEventHandlers {
  /** Hello, registration and catch-up, on each connect. */
  onConnect(): Promise<void>
  /** While a new device's first registration is awaited: how to settle it; else null. */
  firstRun(): { resolve(): void; reject(e: unknown): void } | null
  onDisconnect(reason: string): void
  reportError(p: ErrorPayload): void
}

export function wireConnectionEvents(conn: Connection, h: ConnectionEventHandlers): void {
  conn.socket.on('connect', () => {
    h.onConnect().catch((e) => {
      const error = ParleyError.isInstance(e) ? e : new ConnectionError('connection setup failed')
      // A revoked device is refused at hello: stop here rather than reconnect into it again.
      if (DeviceRevokedError.isInstance(error)) conn.close()
      const transient = isTransient(e)
      // Dropped mid-setup: 'disconnect' already said so, and the reconnect sets up again.
      if (transient && !conn.connected) return
      const firstRun = h.firstRun()
      if (firstRun && !transient) {
        firstRun.reject(error)
        return
      }
      h.reportError({ error })
      // Connected but not set up (the server's database is down, an ack timed out): nothing
      // would ever be sent on this connection, so start over on a new one.
      if ((transient || StoreError.isInstance(e)) && conn.connected) conn.restart(SETUP_RETRY_MS * (1 + Math.random()))
    })
  })
  conn.socket.on('disconnect', (reason) => h.onDisconnect(String(reason)))
  conn.socket.on('connect_error', (err) => {
    // A moderator suspended this user: the handshake carries the typed error (until, reason).
    const data = (err as { data?: unknown } | undefined)?.data
    const refused = handshakeRefusal(data)
    const firstRun = h.firstRun()
    if (refused) {
      if (firstRun) firstRun.reject(refused)
      else h.reportError({ error: refused })
      return
    }
    if (firstRun && /unauthori[sz]ed|forbidden/i.test(String(err?.message))) firstRun.reject(new UnauthorizedError(String(err.message)))
    // The server refused the handshake for a passing reason (its database is down, it is
    // shutting down, too many connections): socket.io-client never retries a refusal by the
    // server's middleware, so come back later rather than stay offline for good.
    const code = (data as { code?: unknown } | undefined)?.code
    if (typeof code === 'string' && RETRYABLE_HANDSHAKE_CODES.has(code)) {
      const after = (data as { details?: { retryAfterMs?: unknown } }).details?.retryAfterMs
      conn.restart(Math.max(typeof after === 'number' ? after : 0, SETUP_RETRY_MS) * (1 + Math.random()))
    }
  })
}
