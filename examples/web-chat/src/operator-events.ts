/**
 * The operator console's push channel: `GET /operator/events`, a server-sent event stream
 * (behind the operator sign-in) that says "something changed" whenever a report arrives or a
 * moderator acts, so every open console refetches at once instead of polling. Events carry
 * only the kind and an id, never report content: the console reads that through the API.
 *
 * Each stream belongs to the operator session that opened it and ends with it: at sign-out
 * (`endSession`), when the session expires (a timer at its expiry) and when it is dropped
 * (checked at every heartbeat). Its last event, `ended`, sends the console back to sign-in.
 */
import type { ServerResponse } from 'node:http'

/** Most console streams open at once (the oldest is closed first). */
export const MAX_OPERATOR_STREAMS = 20
/** A comment line this often keeps proxies and the browser from timing the stream out, ms. */
export const OPERATOR_STREAM_HEARTBEAT_MS = 25_000

/** What changed. */
export interface OperatorEvent {
  kind: 'report' | 'action'
  /** The report id, or the audit action (`suspend_user`, …). */
  id: string
}

/** The session a stream belongs to. */
export interface StreamSession {
  id: string
  /** When it expires, ms since the epoch. */
  expiresAt: number
}

interface Stream {
  session: string
  expiry: NodeJS.Timeout
}

/** The open console streams. */
export class OperatorEvents {
  private readonly streams = new Map<ServerResponse, Stream>()
  private readonly heartbeat: NodeJS.Timeout

  /** `isLive(sessionId)`: whether a session still exists (a dropped one ends its streams at the next heartbeat). */
  constructor(private readonly isLive: (sessionId: string) => boolean = () => true, private readonly now: () => number = Date.now) {
    this.heartbeat = setInterval(() => {
      for (const [res, s] of this.streams) if (!this.isLive(s.session)) this.end(res)
      this.write(': keep-alive\n\n')
    }, OPERATOR_STREAM_HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  /** Turns `res` into an event stream until the browser goes away or `session` ends. */
  subscribe(res: ServerResponse, headers: Record<string, string>, session: StreamSession): void {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' })
    // The first line tells EventSource how soon to come back after a drop, ms.
    res.write('retry: 1000\n\n')
    const expiry = setTimeout(() => this.end(res), Math.max(0, session.expiresAt - this.now()))
    expiry.unref()
    this.streams.set(res, { session: session.id, expiry })
    res.on('close', () => this.forget(res))
    while (this.streams.size > MAX_OPERATOR_STREAMS) this.end(this.streams.keys().next().value!)
  }

  /** Ends every stream of session `id` (sign-out). */
  endSession(id: string): void {
    for (const [res, s] of this.streams) if (s.session === id) this.end(res)
  }

  /** Tells every open console. */
  publish(event: OperatorEvent): void {
    this.write(`event: changed\ndata: ${JSON.stringify(event)}\n\n`)
  }

  /** Number of open streams (for tests). */
  get size(): number {
    return this.streams.size
  }

  /** Ends every stream (shutdown). */
  close(): void {
    clearInterval(this.heartbeat)
    for (const res of [...this.streams.keys()]) {
      this.forget(res)
      res.end()
    }
  }

  /** Says why, then ends one stream. */
  private end(res: ServerResponse): void {
    this.forget(res)
    res.end('event: ended\ndata: {}\n\n')
  }

  private forget(res: ServerResponse): void {
    const s = this.streams.get(res)
    if (s) clearTimeout(s.expiry)
    this.streams.delete(res)
  }

  private write(chunk: string): void {
    for (const res of this.streams.keys()) res.write(chunk)
  }
}
