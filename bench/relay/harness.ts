/**
 * The client side of bench/relay: starts a relay server (bench/relay/server.ts) in a child
 * process, connects sender/receiver pairs, drives a load with a fixed window of messages in
 * flight and reads the server's CPU, RSS and group-commit figures over IPC.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { io as ioClient, type Socket } from 'socket.io-client'
import { frankMessage, generateDeviceIdentity, generatePreKeys, generateUserIdentity, signDeviceList } from '@parley/crypto'
import type { RelayServerConfig } from './server.js'

export const TEXT = 'x'.repeat(64)
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url))
/** A directory: each server child writes a CPU profile of its measured load there. */
const CPU_PROF = process.env.RELAY_CPU_PROF
/** Pairs are connected this many at a time (1,000 at once would time out handshakes). */
const CONNECT_CONCURRENCY = 50
const ACK_TIMEOUT_MS = 60_000
/**
 * Messages sent on one pair (10 in flight) before each measured load. 50 left the bench
 * process's own client code cold for the first row of a run (the raw relay): it measured at
 * 35–55 % of the same relay measured again at the end of the section, which made every
 * "% of raw" look better than it was. Warmed up with this many, the two raw rows agreed within
 * 5 % in some runs (3,309 / 3,442 and 5,489 / 5,259 msg/s) and still differed up to 2.7× in
 * others on the shared machine — read every ratio with the load beside it.
 */
const WARM_UP_MESSAGES = 1_000
/** How long to wait for deliveries still in flight after the last ack. */
const DRAIN_TIMEOUT_MS = 60_000

export interface ServerStats { rss: number; cpuMs: number; /** Of which in the kernel (system calls). */ sysMs: number; avgBatch: number; avgCommitMs: number }
export interface Result extends ServerStats {
  name: string; msgs: number; seconds: number; p50: number; p99: number
  /** CPU ms the database server's processes used during the measured load (PostgreSQL rows on a server started for the run). */
  dbCpuMs?: number
}

export interface RelayChild { url: string; child: ChildProcess; measure(): Promise<void>; stats(): Promise<ServerStats>; stop(): Promise<void> }

/** Node flags for the child: the same runtime as the bench, TypeScript sources through tsx. */
const childArgs = (config: RelayServerConfig) => ['--conditions=@parley/source', '--import', 'tsx', SERVER, JSON.stringify(config)]

/** Starts a relay server child; resolves once it listens. */
export async function startServer(config: RelayServerConfig): Promise<RelayChild> {
  const child = spawn(process.execPath, childArgs(config), { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, RELAY_CPU_PROF: CPU_PROF ?? '' } })
  const port = await new Promise<number>((resolve, reject) => {
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /READY (\d+)/.exec(out)
      if (m) resolve(Number(m[1]))
    })
    child.once('exit', (c) => reject(new Error(`relay server exited ${c}`)))
  })
  return {
    url: `http://127.0.0.1:${port}`,
    child,
    measure: () => new Promise((resolve) => {
      child.once('message', () => resolve())
      child.send('measure')
    }),
    stats: () => new Promise((resolve) => {
      child.once('message', (m) => resolve(m as ServerStats))
      child.send('rss')
    }),
    stop: () => new Promise((resolve) => {
      child.once('exit', () => resolve())
      child.kill('SIGTERM')
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref()
    }),
  }
}

/**
 * Creates a PGlite data dir in a throwaway process: the measured server then opens an existing
 * database, as every start after the first does (initdb's WASM heap peak is never given back,
 * so a first start in the measured process would report ~0.5 GB more RSS; see docs/storage.md).
 */
function initDataDir(dataDir: string): Promise<void> {
  const child = spawn(process.execPath, childArgs({ kind: 'parley', store: 'pglite', dataDir, initOnly: true }), { stdio: 'inherit' })
  return new Promise((resolve, reject) => child.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`PGlite init exited ${c}`)))))
}

/** 1,000 pairs connect at once; on a loaded 2-core machine socket.io's 20 s default was seen to expire. */
const CONNECT_TIMEOUT_MS = 120_000

function connect(url: string, token: string): Promise<Socket> {
  const s = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token }, timeout: CONNECT_TIMEOUT_MS })
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s))
    s.once('connect_error', reject)
  })
}

async function call(s: Socket, event: string, frame: unknown): Promise<any> {
  const r = await s.timeout(ACK_TIMEOUT_MS).emitWithAck(event, frame)
  if (!r.ok) throw new Error(`${event}: ${r.error.code} ${r.error.message}`)
  return r.data
}

/** One sender/receiver pair: `send()` resolves on ack; `received` counts deliveries. */
interface Pair { send(): Promise<void>; received: () => number; close(): void }

/** A pair on the raw or naive relay: the same frame shape Parley's server-side send carries. */
async function plainPair(url: string, i: number): Promise<Pair> {
  const id = randomBytes(4).toString('hex')
  const a = await connect(url, `a${i}-${id}`)
  const b = await connect(url, `b${i}-${id}`)
  let got = 0
  b.on('msg', () => void got++)
  const { nf, tf } = frankMessage({ text: TEXT, attachments: [] })
  return {
    async send() {
      const frame = { to: `b${i}-${id}`, payload: { conversationId: 'c_00000000-0000-0000-0000-000000000000', clientMessageId: randomBytes(8).toString('hex'), tf, mode: 'server-side', body: { text: TEXT, attachments: [], nf } } }
      const r = await a.timeout(ACK_TIMEOUT_MS).emitWithAck('send', frame)
      if (!r.ok) throw new Error(`send: ${r.error.code} ${r.error.message}`)
    },
    received: () => got,
    close: () => void (a.close(), b.close()),
  }
}

async function registered(url: string, userId: string) {
  const user = generateUserIdentity()
  const device = generateDeviceIdentity('d1')
  const list = signDeviceList(user, { userId, version: 1, devices: [{ deviceId: 'd1', signingKey: device.signing.publicKey, identityKey: device.identity.publicKey }] })
  const keys = generatePreKeys(device, { signedPreKeyId: 1, kemLastResortId: 1, oneTimeStartId: 1, oneTimeCount: 0, kemOneTimeStartId: 1, kemOneTimeCount: 0 })
  const s = await connect(url, userId)
  await call(s, 'hello', { versions: [2], deviceId: 'd1' })
  await call(s, 'device.register', {
    deviceId: 'd1', userIdentityKey: user.publicKey, signingKey: device.signing.publicKey, identityKey: device.identity.publicKey, deviceList: list,
    signedPreKey: keys.public.signedPreKey, kemLastResortPreKey: keys.public.kemLastResortPreKey, oneTimePreKeys: [], kemOneTimePreKeys: [],
  })
  return s
}

async function parleyPair(url: string, i: number): Promise<Pair> {
  const id = randomBytes(4).toString('hex')
  const [a, b] = await Promise.all([registered(url, `a${i}-${id}`), registered(url, `b${i}-${id}`)])
  const { conversation } = await call(a, 'conversation.open', { peerUserId: `b${i}-${id}` })
  let got = 0
  b.on('message', () => void got++)
  const ciphertext = Buffer.from(TEXT + randomBytes(48).toString('hex')).toString('base64')
  const { nf, tf } = frankMessage({ text: TEXT, attachments: [] })
  return {
    async send() {
      const base = { conversationId: conversation.id, clientMessageId: randomBytes(8).toString('hex'), tf }
      const frame = conversation.encryption === 'e2ee'
        ? { ...base, mode: 'e2ee', envelopes: [{ userId: `b${i}-${id}`, deviceId: 'd1', type: 'message', ciphertext }], attachments: [] }
        : { ...base, mode: 'server-side', body: { text: TEXT, attachments: [], nf } }
      await call(a, 'message.send', frame)
    },
    received: () => got,
    close: () => void (a.close(), b.close()),
  }
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0
}

/** Sends `perPair` messages on each pair with `window` in flight per pair; waits for every delivery. */
async function load(pairs: Pair[], perPair: number, window: number): Promise<{ seconds: number; p50: number; p99: number; msgs: number }> {
  const lat: number[] = []
  const delivered = () => pairs.reduce((n, p) => n + p.received(), 0)
  const before = delivered() // deliveries of the warm-up
  const t0 = performance.now()
  await Promise.all(pairs.map(async (p) => {
    let next = 0
    await Promise.all(Array.from({ length: Math.min(window, perPair) }, async () => {
      while (next < perPair) {
        next++
        const s = performance.now()
        await p.send()
        lat.push(performance.now() - s)
      }
    }))
  }))
  const total = pairs.length * perPair
  const deadline = Date.now() + DRAIN_TIMEOUT_MS
  while (delivered() - before < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 1))
  const got = delivered() - before
  if (got < total) throw new Error(`only ${got} of ${total} messages were delivered`)
  const seconds = (performance.now() - t0) / 1000
  return { seconds, p50: pct(lat, 50), p99: pct(lat, 99), msgs: total }
}

/** Runs one row: starts its server, connects the pairs, warms up, measures, stops. */
export async function scenario(name: string, config: RelayServerConfig, pairCount: number, perPair: number, window: number, dbCpuMs?: () => number): Promise<Result> {
  if (config.store === 'pglite' && config.dataDir) await initDataDir(config.dataDir)
  const server = await startServer(config)
  try {
    const make = config.kind === 'parley' ? parleyPair : plainPair
    const pairs: Pair[] = []
    for (let i = 0; i < pairCount; i += CONNECT_CONCURRENCY) {
      pairs.push(...(await Promise.all(Array.from({ length: Math.min(CONNECT_CONCURRENCY, pairCount - i) }, (_, k) => make(server.url, i + k)))))
    }
    // Warm-up (JIT, connections, first transaction), then measure. One message on every pair
    // first: the section measures pairs that are already talking (a server's first append to a
    // conversation reads and locks it before its cache knows it; a one-time cost per conversation
    // and node that would otherwise fall on the first tenth of the 1,000-pair load).
    if (pairs.length > 1) await load(pairs, 1, 1)
    await load(pairs.slice(0, 1), WARM_UP_MESSAGES, 10)
    await server.measure()
    const db0 = dbCpuMs?.()
    const r = await load(pairs, perPair, window)
    const db = db0 === undefined ? {} : { dbCpuMs: dbCpuMs!() - db0 }
    const stats = await server.stats()
    for (const p of pairs) p.close()
    return { name, ...r, ...stats, ...db }
  } finally {
    await server.stop()
  }
}
