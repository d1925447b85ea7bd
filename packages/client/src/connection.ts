/**
 * The socket layer: one socket.io-client connection with reconnect and backoff, typed
 * requests whose acks are validated (`parseAck`) and turned back into typed errors
 * (`errorFromWire`), and inbound server frames validated with `parseServerFrame` before any
 * handler sees them. Nothing here knows about keys or conversations.
 */
import { io, type ManagerOptions, type Socket, type SocketOptions } from 'socket.io-client'
import {
  ConnectionError, InvalidFrameError, TimeoutError, errorFromWire, parseAck, parseServerFrame, parseWith, ParleyError,
  WireErrorSchema,
  type ClientAckData, type Goodbye, type ClientEventName, type ClientFrame, type ServerEventName, type ServerFrame,
} from '@parley/protocol'
import { ACK_TIMEOUT_MS, GOODBYE_VALID_MS, RECONNECT_DELAY_MAX_MS, RECONNECT_DELAY_MS } from './constants.js'

/** socket.io-client options a caller may override (auth is always `{ token }`). */
export type SocketClientOptions = Partial<ManagerOptions & SocketOptions>

export interface ConnectionOptions {
  url: string
  token: string | (() => string | Promise<string>)
  socketOptions?: SocketClientOptions
  ackTimeoutMs?: number
  /** An inbound frame failed validation (it is dropped; the error is surfaced). */
  onInvalidFrame(error: ParleyError, event: string): void
}

const SERVER_EVENTS: ServerEventName[] = [
  'manifest', 'message', 'receipt', 'typing', 'mode', 'notice', 'conversation', 'message.deleted', 'keys.low',
  'devicelist.changed', 'link.payload', 'goodbye', 'block.changed', 'mute.changed', 'request.changed', 'error', 'disappearing',
]

/** A validated, typed socket.io connection. */
export class Connection {
  readonly socket: Socket
  private readonly ackTimeoutMs: number
  private readonly handlers = new Map<string, (frame: never) => void>()
  private closed = false
  private comeBack: ReturnType<typeof setTimeout> | null = null
  private lastGoodbye: { frame: Goodbye; at: number } | null = null

  constructor(private readonly options: ConnectionOptions) {
    if (typeof options.url !== 'string' || options.url.length === 0) throw new TypeError('"url" expected a non-empty string')
    const token = options.token
    if (typeof token !== 'function' && (typeof token !== 'string' || token.length === 0)) {
      throw new TypeError('"token" expected a non-empty string or a function returning one')
    }
    this.ackTimeoutMs = options.ackTimeoutMs ?? ACK_TIMEOUT_MS
    this.socket = io(options.url, {
      autoConnect: false,
      reconnection: true,
      reconnectionDelay: RECONNECT_DELAY_MS,
      reconnectionDelayMax: RECONNECT_DELAY_MAX_MS,
      randomizationFactor: 0.5,
      ...options.socketOptions,
      // A function so a refreshed token is read on every reconnect.
      auth: (cb: (data: object) => void) => {
        Promise.resolve(typeof token === 'function' ? token() : token).then(
          (t) => cb({ token: t }),
          () => cb({ token: '' }),
        )
      },
    })
    // socket.io-client does not retry after a server-initiated disconnect ('io server
    // disconnect'): a graceful shutdown, a deploy or a node drain would strand the client. It
    // is not an auth refusal (those fail the handshake as `connect_error`), so come back: one
    // `connect()` after a jittered delay (at least the `goodbye`'s `retryAfterMs`) hands over
    // to the manager's own backoff while the server is still down.
    this.socket.on('connect', () => {
      this.lastGoodbye = null
    })
    this.socket.on('disconnect', (reason) => {
      if (reason !== 'io server disconnect' || this.closed) return
      // A moderator's action (suspension, revoked device): the next handshake or hello would be
      // refused with the same typed error, so stay away instead of knocking in a loop.
      if (this.goodbye && this.goodbye.code !== 'server_restarting') return
      const delay = (this.goodbye?.retryAfterMs ?? 0) + RECONNECT_DELAY_MS * (1 + Math.random())
      this.comeBack = setTimeout(() => {
        this.comeBack = null
        if (!this.closed && !this.socket.connected) this.socket.connect()
      }, delay)
    })
    for (const event of SERVER_EVENTS) {
      this.socket.on(event as never, ((raw: unknown) => {
        const handler = this.handlers.get(event)
        if (!handler && event !== 'goodbye') return
        let frame: unknown
        try {
          frame = parseServerFrame(event, raw)
        } catch (e) {
          this.options.onInvalidFrame(ParleyError.isInstance(e) ? e : new InvalidFrameError(`invalid "${event}" frame`), event)
          return
        }
        if (event === 'goodbye') this.lastGoodbye = { frame: frame as Goodbye, at: Date.now() }
        handler?.(frame as never)
      }) as never)
    }
  }

  /**
   * The server's `goodbye`, if it said one just before disconnecting (within
   * `GOODBYE_VALID_MS`): an old one a server sent without closing must not decide a later drop.
   */
  get goodbye(): Goodbye | null {
    const g = this.lastGoodbye
    return g && Date.now() - g.at <= GOODBYE_VALID_MS ? g.frame : null
  }

  /** True while the socket is connected (not necessarily said hello yet). */
  get connected(): boolean {
    return this.socket.connected
  }

  /** Starts connecting (and reconnecting, with backoff). */
  open(): void {
    this.socket.connect()
  }

  /**
   * Drops this connection and opens a new one after `delayMs` (then the manager's backoff):
   * for a connection the server could not set up (its database down, an ack timed out).
   */
  restart(delayMs: number): void {
    if (this.closed) return
    this.socket.disconnect()
    if (this.comeBack) clearTimeout(this.comeBack)
    this.comeBack = setTimeout(() => {
      this.comeBack = null
      if (!this.closed && !this.socket.connected) this.socket.connect()
    }, delayMs)
  }

  /** Closes the socket for good. */
  close(): void {
    this.closed = true
    if (this.comeBack) clearTimeout(this.comeBack)
    this.comeBack = null
    this.socket.disconnect()
  }

  /** Sets the one handler of a server event; frames arrive already validated. */
  handle<E extends ServerEventName>(event: E, handler: (frame: ServerFrame<E>) => void): void {
    this.handlers.set(event, handler as (frame: never) => void)
  }

  /**
   * Sends a request and waits for its ack.
   * @throws {ConnectionError} when not connected (nothing was sent).
   * @throws {TimeoutError} when the ack does not arrive in time.
   * @throws the typed error the server answered with (`errorFromWire`), or
   *   {@link InvalidFrameError} when the ack itself is malformed.
   */
  request<E extends ClientEventName>(event: E, frame: ClientFrame<E>, timeoutMs = this.ackTimeoutMs): Promise<ClientAckData<E>> {
    if (!this.socket.connected) return Promise.reject(new ConnectionError(`not connected (${event})`))
    return new Promise((resolve, reject) => {
      this.socket.timeout(timeoutMs).emit(event as never, frame as never, ((err: unknown, response: unknown) => {
        if (err) {
          reject(
            this.socket.connected
              ? new TimeoutError(`no ack for "${event}" within ${timeoutMs} ms`, { operation: event, ms: timeoutMs })
              : new ConnectionError(`disconnected before the ack of "${event}"`),
          )
          return
        }
        try {
          resolve(unwrapAck(event, response))
        } catch (e) {
          reject(e)
        }
      }) as never)
    })
  }
}

/** Turns an `AckResponse` into its data or its typed error. */
export function unwrapAck<E extends ClientEventName>(event: E, response: unknown): ClientAckData<E> {
  const r = response as { ok?: unknown; data?: unknown; error?: unknown } | null
  if (r && typeof r === 'object' && r.ok === true) return parseAck(event, r.data) as ClientAckData<E>
  if (r && typeof r === 'object' && r.ok === false) throw errorFromWire(parseWith(WireErrorSchema, r.error, `${event} error`))
  throw new InvalidFrameError(`invalid "${event}" ack: expected { ok, data | error }`, { event })
}

/** Handshake refusals that pass: the client tries again after {@link SETUP_RETRY_MS} (or the `retryAfterMs` given). */
export const RETRYABLE_HANDSHAKE_CODES = new Set(['store_failure', 'disconnected', 'rate_limited', 'timeout'])

/** The typed moderator refusal a handshake error carries (`account_suspended`), if any. */
export function handshakeRefusal(data: unknown): ParleyError | null {
  if (typeof data !== 'object' || data === null || (data as { code?: unknown }).code !== 'account_suspended') return null
  try {
    return errorFromWire(parseWith(WireErrorSchema, data, 'connect_error'))
  } catch {
    return null
  }
}
