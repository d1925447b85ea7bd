/**
 * Shared pieces of bench/client: a load driver (window of messages in flight, latency from
 * send to receipt at the peer), raw relay clients, Parley clients with key stores that outlive
 * a client (for reconnects), and an in-process Parley server for the profiling scripts.
 */
import { createServer } from 'node:http'
import pino from 'pino'
import { io as ioClient, type Socket } from 'socket.io-client'
import { createParleyServer, memoryStore } from '@parley/server'
import { createParleyClient, memoryKeyStore, type KeyStore, type ParleyClient } from '@parley/client'

export const TEXT = 'x'.repeat(64)
const ACK_TIMEOUT_MS = 60_000

export const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!

export interface Result { msgsPerSec: number; p50: number; p99: number }

/** Sends `count` messages with at most `window` in flight; latency = send → receive at the peer. */
export async function drive(count: number, window: number, send: (i: number) => Promise<unknown>, onReceive: (cb: (i: number) => void) => void): Promise<Result> {
  const sentAt = new Array<number>(count)
  const lat: number[] = []
  let received = 0
  let done!: () => void
  const finished = new Promise<void>((r) => (done = r))
  onReceive((i) => {
    lat.push(performance.now() - sentAt[i]!)
    if (++received === count) done()
  })
  const start = performance.now()
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next++
      sentAt[i] = performance.now()
      await send(i)
    }
  }
  await Promise.all(Array.from({ length: window }, worker))
  await finished
  const secs = (performance.now() - start) / 1000
  lat.sort((a, b) => a - b)
  return { msgsPerSec: count / secs, p50: pct(lat, 50), p99: pct(lat, 99) }
}

/** A socket on the raw relay (bench/relay/server.ts `raw`): `send` forwards to `to`'s room, acked. */
export async function rawSocket(url: string, user: string): Promise<Socket> {
  const s = ioClient(url, { auth: { token: user }, transports: ['websocket'], forceNew: true, reconnection: false })
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve())
    s.once('connect_error', reject)
  })
  return s
}

/** Sends one plain message through the raw relay and waits for its ack. */
export const rawSend = (s: Socket, to: string, payload: unknown) => s.timeout(ACK_TIMEOUT_MS).emitWithAck('send', { to, payload })

/** A key store that survives its client's `close()`, so a device can go offline and come back. */
export function keptKeyStore(): KeyStore {
  return { ...memoryKeyStore(), close: async () => undefined }
}

/** A Node client over websocket (shared with the profiling scripts). */
export const client = (url: string, user: string, keyStore: KeyStore = memoryKeyStore()): Promise<ParleyClient> =>
  createParleyClient({ url, token: user, keyStore, socketOptions: { transports: ['websocket'] }, deliveryReceipts: false }) // the recorded figures predate receipts; receipts are not benched yet

/** A default-e2ee Parley server on memoryStore in this process, limits out of the way (profiling scripts only). */
export async function parleyServer() {
  const http = createServer()
  const parley = createParleyServer({
    httpServer: http, policy: 'default-e2ee', store: memoryStore(), logger: pino({ level: 'silent' }),
    authenticate: (h) => ({ userId: String((h.auth as { token: string }).token) }),
    limits: { connection: { capacity: 1e6, refillPerSecond: 1e6 }, user: { capacity: 1e6, refillPerSecond: 1e6 } },
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  return { url, async close() { await parley.close(); await new Promise<void>((r) => http.close(() => r())) } }
}
