/**
 * The operator console's push channel: `GET /operator/events`, a server-sent event stream
 * (behind the operator sign-in) that says "something changed" whenever a report arrives or a
 * moderator acts, so every open console refetches at once instead of polling. Events carry
 * only the kind and an id, never report content: the console reads that through the API.
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

/** The open console streams. */
export class OperatorEvents {
  private readonly streams = new Set<ServerResponse>()
  private readonly heartbeat: NodeJS.Timeout

  constructor() {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), OPERATOR_STREAM_HEARTBEAT_MS)
    this.heartbeat.unref()
  }

  /** Turns `res` into an event stream until the browser goes away. */
  subscribe(res: ServerResponse, headers: Record<string, string>): void {
    res.writeHead(200, { ...headers, 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' })
    // The first line tells EventSource how soon to come back after a drop, ms.
    res.write('retry: 1000\n\n')
    this.streams.add(res)
    res.on('close', () => this.streams.delete(res))
    while (this.streams.size > MAX_OPERATOR_STREAMS) {
      const oldest = this.streams.values().next().value!
      this.streams.delete(oldest)
      oldest.end()
    }
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
    for (const res of this.streams) res.end()
    this.streams.clear()
  }

  private write(chunk: string): void {
    for (const res of this.streams) res.write(chunk)
  }
}
