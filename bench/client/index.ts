/**
 * bench/client: end-to-end E2EE messages/s and p50/p99 latency between two @parley/client
 * instances through the Parley server (default-e2ee, memoryStore), beside a raw socket.io
 * relay measured in the same run (same payload size, acks, 100 in flight); first-message
 * latency (bundle fetch + PQXDH) beside the raw relay's p50; the browser bundle size.
 * Results go to bench/results/client.txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import pino from 'pino'
import { Server } from 'socket.io'
import { io as ioClient, type Socket } from 'socket.io-client'
import { createParleyServer, memoryStore } from '@parley/server'
import { createParleyClient, memoryKeyStore, type ParleyClient } from '@parley/client'

const MESSAGES = 2_000
const IN_FLIGHT = 100
const FIRST_MESSAGE_RUNS = 10
/** Raw and Parley runs alternate this many times (the machine is shared; load drifts). */
const ROUNDS = 3
const TEXT = 'x'.repeat(64)

const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
const fmt = (n: number) => n.toFixed(2)

interface Result { msgsPerSec: number; p50: number; p99: number }

/** Sends `count` messages with at most `window` in flight; latency = send → receive at the peer. */
async function drive(count: number, window: number, send: (i: number) => Promise<unknown>, onReceive: (cb: (i: number) => void) => void): Promise<Result> {
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

async function rawRelay(count = MESSAGES, window = IN_FLIGHT): Promise<Result & { close(): Promise<void> }> {
  const http = createServer()
  const io = new Server(http, { maxHttpBufferSize: 2 * 1024 * 1024 })
  const byUser = new Map<string, string>()
  io.on('connection', (s) => {
    byUser.set(String(s.handshake.auth.token), s.id)
    s.on('m', (frame: { to: string; i: number; text: string }, ack: (r: unknown) => void) => {
      io.to(byUser.get(frame.to)!).emit('m', frame)
      ack({ ok: true })
    })
  })
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  const a: Socket = ioClient(url, { auth: { token: 'a' }, transports: ['websocket'] })
  const b: Socket = ioClient(url, { auth: { token: 'b' }, transports: ['websocket'] })
  await Promise.all([a, b].map((s) => new Promise((r) => s.once('connect', () => r(null)))))
  const result = await drive(count, window, (i) => a.emitWithAck('m', { to: 'b', i, text: TEXT }), (cb) => b.on('m', (f: { i: number }) => cb(f.i)))
  return { ...result, async close() { a.close(); b.close(); await new Promise<void>((r) => io.close(() => r())) } }
}

/** A default-e2ee Parley server on memoryStore with limits out of the way (shared with profile-throughput.ts). */
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

/** A Node client on memoryKeyStore over websocket (shared with profile-throughput.ts). */
export const client = (url: string, user: string) =>
  createParleyClient({ url, token: user, keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })

async function parleyE2ee(url: string, round: number): Promise<Result> {
  const alice = await client(url, `alice${round}`)
  const bob = await client(url, `bob${round}`)
  const ca = await alice.conversations.open(`bob${round}`)
  await ca.send({ text: 'warm-up' }) // session set up outside the measurement
  const received = new Set<number>()
  const result = await drive(MESSAGES, IN_FLIGHT, (i) => ca.send({ text: `${i}:${TEXT}` }), (cb) =>
    bob.on('message', (m) => {
      if (m.status !== 'received' || m.text === 'warm-up') return
      const i = Number(m.text.slice(0, m.text.indexOf(':')))
      if (!received.has(i)) {
        received.add(i)
        cb(i)
      }
    }))
  await alice.close()
  await bob.close()
  return result
}

async function firstMessage(url: string): Promise<number[]> {
  const out: number[] = []
  for (let run = 0; run < FIRST_MESSAGE_RUNS; run++) {
    const a: ParleyClient = await client(url, `fa${run}`)
    const b: ParleyClient = await client(url, `fb${run}`)
    const ca = await a.conversations.open(`fb${run}`)
    const got = new Promise<number>((resolve) => b.on('message', (m) => m.status === 'received' && resolve(performance.now())))
    const start = performance.now()
    void ca.send({ text: TEXT })
    out.push((await got) - start)
    await a.close()
    await b.close()
  }
  return out.sort((x, y) => x - y)
}

async function bundleSize(): Promise<{ min: number; gzip: number }> {
  const entry = fileURLToPath(new URL('../../packages/client/src/index.ts', import.meta.url))
  const r = await build({ entryPoints: [entry], bundle: true, format: 'esm', platform: 'browser', target: 'es2022', minify: true, write: false, logLevel: 'error', conditions: ['@parley/source', 'browser', 'module', 'import'] })
  const code = r.outputFiles[0]!.contents
  return { min: code.length, gzip: gzipSync(code, { level: 9 }).length }
}

export async function runClientBench(): Promise<void> {
  const load = (await import('node:os')).loadavg()[0]!.toFixed(2)
  const rounds: { raw: Result; e2ee: Result }[] = []
  const server = await parleyServer()
  for (let r = 0; r < ROUNDS; r++) {
    const raw = await rawRelay()
    await raw.close()
    rounds.push({ raw, e2ee: await parleyE2ee(server.url, r) })
  }
  const single = await rawRelay(200, 1)
  await single.close()
  const first = await firstMessage(server.url)
  await server.close()
  const bundle = await bundleSize()
  const firstP50 = pct(first, 50)
  const ratios = rounds.map((x) => (100 * x.e2ee.msgsPerSec) / x.raw.msgsPerSec)
  const mid = rounds[ratios.indexOf([...ratios].sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!)]!
  const lines = [
    `# bench/client — ${new Date().toISOString()} — node ${process.version}, ${MESSAGES} messages, ${IN_FLIGHT} in flight, 64-byte text, ` +
      `${ROUNDS} alternating raw/parley rounds, 1-min load ${load} on a shared 2-core machine; server, both clients and the relay share one process`,
    ...rounds.map((x, i) => `  round ${i + 1}: raw ${fmt(x.raw.msgsPerSec)} msg/s, parley ${fmt(x.e2ee.msgsPerSec)} msg/s = ${fmt(ratios[i]!)} %`),
    `raw socket.io relay          : ${fmt(mid.raw.msgsPerSec)} msg/s  p50 ${fmt(mid.raw.p50)} ms  p99 ${fmt(mid.raw.p99)} ms (median round)`,
    `parley default-e2ee (client) : ${fmt(mid.e2ee.msgsPerSec)} msg/s  p50 ${fmt(mid.e2ee.p50)} ms  p99 ${fmt(mid.e2ee.p99)} ms`,
    `  throughput ratio           : ${fmt((100 * mid.e2ee.msgsPerSec) / mid.raw.msgsPerSec)} % of raw (median of ${ROUNDS}; target ≥ 30 %)`,
    `first message (fetch + PQXDH): p50 ${fmt(firstP50)} ms, min ${fmt(first[0]!)} ms over ${FIRST_MESSAGE_RUNS} fresh pairs; ` +
      `raw p50 ${fmt(mid.raw.p50)} ms (100 in flight) -> difference ${fmt(firstP50 - mid.raw.p50)} ms (target ≤ 5 ms); ` +
      `raw p50 ${fmt(single.p50)} ms (1 in flight) -> difference ${fmt(firstP50 - single.p50)} ms`,
    `browser bundle               : ${(bundle.min / 1024).toFixed(1)} KB minified, ${(bundle.gzip / 1024).toFixed(1)} KB minified+gzip (target ≤ 100 KB)`,
  ]
  for (const l of lines) console.log(l)
  const dir = fileURLToPath(new URL('../results/', import.meta.url))
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}client.txt`, lines.join('\n') + '\n')
}

if (import.meta.url === `file://${process.argv[1]}`) await runClientBench()
