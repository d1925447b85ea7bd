/**
 * A hostile server for tests: a socket.io server that relays each client connection to the
 * real Parley server and lets a test rewrite, drop or inject frames in both directions.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import { Server } from 'socket.io'
import { io as ioClient } from 'socket.io-client'

export interface ProxyContext {
  /** The user id (the token) of the client this connection belongs to. */
  userId: string
}

export interface TamperHooks {
  /** Rewrites a server → client frame: return the frames to deliver instead (empty drops it). */
  serverFrame?(event: string, frame: any, ctx: ProxyContext): any[]
  /** Rewrites a client → server request before it goes upstream (a Promise holds it back). */
  request?(event: string, request: any, ctx: ProxyContext): any
  /** Rewrites the ack of a client → server request (a Promise delays it). */
  ack?(event: string, request: any, response: any, ctx: ProxyContext): any | Promise<any>
}

export interface TamperProxy {
  url: string
  hooks: TamperHooks
  /** Emits a frame to every proxied client of `userId`. */
  inject(userId: string, event: string, frame: unknown): void
  close(): Promise<void>
}

export async function startTamperProxy(targetUrl: string): Promise<TamperProxy> {
  const http: HttpServer = createServer()
  const io = new Server(http, { maxHttpBufferSize: 4 * 1024 * 1024 })
  const hooks: TamperHooks = {}
  const sockets = new Set<{ userId: string; emit(event: string, frame: unknown): void }>()
  io.on('connection', (socket) => {
    const token = String((socket.handshake.auth as { token?: unknown }).token ?? '')
    const ctx: ProxyContext = { userId: token }
    const upstream = ioClient(targetUrl, { auth: { token }, transports: ['websocket'], reconnection: false })
    const entry = { userId: token, emit: (event: string, frame: unknown) => socket.emit(event, frame) }
    sockets.add(entry)
    upstream.onAny((event: string, frame: unknown) => {
      const out = hooks.serverFrame ? hooks.serverFrame(event, frame, ctx) : [frame]
      for (const f of out) socket.emit(event, f)
    })
    socket.onAny((event: string, ...args: unknown[]) => {
      const ack = typeof args[args.length - 1] === 'function' ? (args.pop() as (r: unknown) => void) : undefined
      const rewritten = hooks.request ? hooks.request(event, args[0], ctx) : args[0]
      const go = (request: unknown) => {
        const send = () => upstream.emit(event, request, (response: unknown) => void Promise.resolve(hooks.ack ? hooks.ack(event, request, response, ctx) : response).then((r) => ack?.(r)))
        if (upstream.connected) send()
        else upstream.once('connect', send)
      }
      // Synchronous rewrites go out at once, in order; only a hook returning a Promise waits.
      if (rewritten instanceof Promise) void rewritten.then(go)
      else go(rewritten)
    })
    socket.on('disconnect', () => {
      sockets.delete(entry)
      upstream.disconnect()
    })
    upstream.on('disconnect', () => socket.disconnect(true))
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const port = (http.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    hooks,
    inject(userId, event, frame) {
      for (const s of sockets) if (s.userId === userId) s.emit(event, frame)
    },
    async close() {
      await new Promise<void>((r) => io.close(() => r()))
    },
  }
}
