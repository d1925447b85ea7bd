/**
 * bench/relay: messages/s and p50/p99 ack latency for Parley in each policy beside a raw
 * socket.io relay measured in the same run (same payload, same acks), on PGlite (file data dir,
 * fsync per commit) and PostgreSQL; one pair with 100 in flight, and 1,000 pairs; server RSS.
 * The server runs in a child process. Results: bench/results/relay.txt.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import pg from 'pg'
import { io as ioClient, type Socket } from 'socket.io-client'
import { frankMessage, generateDeviceIdentity, generatePreKeys, generateUserIdentity, signDeviceList } from '@parley/crypto'
import type { Policy } from '@parley/protocol'
import type { RelayServerConfig } from './server.js'

const ONE_PAIR_MESSAGES = Number(process.env.RELAY_MESSAGES ?? 5_000)
const IN_FLIGHT = 100
const PAIRS = Number(process.env.RELAY_PAIRS ?? 1_000)
const PER_PAIR = Number(process.env.RELAY_PER_PAIR ?? 10)
const TEXT = 'x'.repeat(64)
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url))
const RESULTS = fileURLToPath(new URL('../results/relay.txt', import.meta.url))
/** Only scenarios whose name matches this regex run (raw baselines always run); for profiling. */
const ONLY = process.env.RELAY_ONLY ? new RegExp(process.env.RELAY_ONLY) : undefined
/** A directory: the Parley server child writes a CPU profile of the measured load there. */
const CPU_PROF = process.env.RELAY_CPU_PROF
/** `one` or `pairs`: run only that section (for profiling). */
const SECTION = process.env.RELAY_SECTION

interface ServerStats { rss: number; cpuMs: number; avgBatch: number; avgCommitMs: number }
interface Result extends ServerStats { name: string; msgs: number; seconds: number; p50: number; p99: number }

async function startServer(config: RelayServerConfig): Promise<{ url: string; child: ChildProcess; measure(): Promise<void>; rss(): Promise<ServerStats>; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', SERVER, JSON.stringify(config)], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'], env: { ...process.env, RELAY_CPU_PROF: CPU_PROF && config.kind === 'parley' ? CPU_PROF : '' } })
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
    rss: () => new Promise((resolve) => {
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
  const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', SERVER, JSON.stringify({ kind: 'parley', store: 'pglite', dataDir, initOnly: true })], { stdio: 'inherit' })
  return new Promise((resolve, reject) => child.once('exit', (c) => (c === 0 ? resolve() : reject(new Error(`PGlite init exited ${c}`)))))
}

function connect(url: string, token: string): Promise<Socket> {
  const s = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token } })
  return new Promise((resolve, reject) => {
    s.once('connect', () => resolve(s))
    s.once('connect_error', reject)
  })
}

async function call(s: Socket, event: string, frame: unknown): Promise<any> {
  const r = await s.timeout(60_000).emitWithAck(event, frame)
  if (!r.ok) throw new Error(`${event}: ${r.error.code} ${r.error.message}`)
  return r.data
}

/** One sender/receiver pair: `send()` resolves on ack; `received` counts deliveries. */
interface Pair { send(): Promise<void>; received: () => number; close(): void }

async function rawPair(url: string, i: number): Promise<Pair> {
  const id = randomBytes(4).toString('hex')
  const a = await connect(url, `a${i}-${id}`)
  const b = await connect(url, `b${i}-${id}`)
  let got = 0
  b.on('msg', () => void got++)
  const { nf, tf } = frankMessage({ text: TEXT, attachments: [] })
  return {
    async send() {
      const frame = { to: `b${i}-${id}`, payload: { conversationId: 'c_00000000-0000-0000-0000-000000000000', clientMessageId: randomBytes(8).toString('hex'), tf, mode: 'server-side', body: { text: TEXT, attachments: [], nf } } }
      await a.timeout(60_000).emitWithAck('send', frame)
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
  const deadline = Date.now() + 60_000
  while (pairs.reduce((n, p) => n + p.received(), 0) < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5))
  const seconds = (performance.now() - t0) / 1000
  return { seconds, p50: pct(lat, 50), p99: pct(lat, 99), msgs: total }
}

async function scenario(name: string, config: RelayServerConfig, pairCount: number, perPair: number, window: number): Promise<Result> {
  if (config.store === 'pglite' && config.dataDir) await initDataDir(config.dataDir)
  const server = await startServer(config)
  try {
    const make = config.kind === 'raw' ? rawPair : parleyPair
    const pairs: Pair[] = []
    for (let i = 0; i < pairCount; i += 50) pairs.push(...(await Promise.all(Array.from({ length: Math.min(50, pairCount - i) }, (_, k) => make(server.url, i + k)))))
    // Warm-up (JIT, connections, first transaction), then measure.
    await load(pairs.slice(0, 1), 50, 10)
    await server.measure()
    const r = await load(pairs, perPair, window)
    const stats = await server.rss()
    for (const p of pairs) p.close()
    return { name, ...r, ...stats }
  } finally {
    await server.stop()
  }
}

async function freshDb(): Promise<{ url: string; drop(): Promise<void> } | null> {
  const name = `parley_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 })
  try {
    await admin.connect()
    await admin.query(`CREATE DATABASE ${name}`)
  } catch {
    return null
  } finally {
    await admin.end().catch(() => undefined)
  }
  const u = new URL(DATABASE_URL)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: DATABASE_URL })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

const fmt = (r: Result) =>
  `${r.name.padEnd(44)} ${(r.msgs / r.seconds).toFixed(0).padStart(7)} msg/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  server RSS ${(r.rss / 2 ** 20).toFixed(0).padStart(4)} MB  server CPU ${((1000 * r.cpuMs) / r.msgs).toFixed(0).padStart(4)} µs/msg${r.avgBatch ? `  commit: avg batch ${r.avgBatch.toFixed(1)}, avg ${r.avgCommitMs.toFixed(1)} ms` : ''}`
/** The mean of the raw relay measured before and after the Parley rows of a section. */
function meanRaw(a: Result, b: Result): Result {
  const rate = (a.msgs / a.seconds + b.msgs / b.seconds) / 2
  return { ...a, name: 'raw socket.io relay (mean)', seconds: a.msgs / rate, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2, rss: (a.rss + b.rss) / 2, cpuMs: (a.cpuMs + b.cpuMs) / 2 }
}
const ratio = (r: Result, raw: Result) =>
  `    vs raw: throughput ${((100 * (r.msgs / r.seconds)) / (raw.msgs / raw.seconds)).toFixed(1)} %, p99 ${(r.p99 / raw.p99).toFixed(2)}×, RSS ${(r.rss / raw.rss).toFixed(2)}×, server CPU/msg ${(r.cpuMs / r.msgs / (raw.cpuMs / raw.msgs)).toFixed(2)}×`

/** Runs the suite and writes bench/results/relay.txt. */
export async function runRelay(): Promise<void> {
  const lines: string[] = [`# bench/relay — ${new Date().toISOString()} — node ${process.version}, ${TEXT.length}-byte text; ack latency; server in a child process; load average at start ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${availableParallelism()} cores`]
  const out = (s: string) => {
    console.log(s)
    lines.push(s)
  }
  const dirs: string[] = []
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'parley-bench-'))
    dirs.push(d)
    return d
  }
  const policies: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
  const dbs: { drop(): Promise<void> }[] = []
  let pgOk = true
  /** Runs one Parley scenario (unless filtered out), prints it and keeps it for the section's ratios. */
  const vs = async (name: string, config: RelayServerConfig | 'postgres', pairs: number, perPair: number, window: number) => {
    if (ONLY && !ONLY.test(name)) return
    if (config === 'postgres') {
      const db = pgOk ? await freshDb() : null
      if (!db) {
        if (pgOk) out('PostgreSQL unreachable: PostgreSQL rows skipped')
        pgOk = false
        return
      }
      dbs.push(db)
      config = { kind: 'parley', policy: /parley (\S+)/.exec(name)![1] as Policy, store: 'postgres', databaseUrl: db.url }
    }
    const r = await scenario(name, config, pairs, perPair, window)
    out(fmt(r))
    section.push(r)
  }
  let section: Result[] = []
  /** Measures the raw relay again and prints each Parley row against the mean of both raw runs. */
  const ratios = async (before: Result, pairs: number, perPair: number, window: number) => {
    const after = await scenario('raw socket.io relay (again)', { kind: 'raw' }, pairs, perPair, window)
    out(fmt(after))
    const raw = meanRaw(before, after)
    out(`vs the mean raw relay (${(raw.msgs / raw.seconds).toFixed(0)} msg/s, p99 ${raw.p99.toFixed(2)} ms, RSS ${(raw.rss / 2 ** 20).toFixed(0)} MB):`)
    for (const r of section) out(`${r.name.padEnd(44)}${ratio(r, raw).replace('    vs raw:', '')}`)
    section = []
  }
  try {
    if (SECTION !== 'pairs') {
      out(`\n## one pair, ${ONE_PAIR_MESSAGES} messages, ${IN_FLIGHT} in flight`)
      const raw1 = await scenario('raw socket.io relay', { kind: 'raw' }, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      out(fmt(raw1))
      for (const policy of policies) {
        await vs(`parley ${policy} / PGlite (fsync)`, { kind: 'parley', policy, store: 'pglite', dataDir: dataDir() }, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      }
      await vs('parley server-side / PGlite (durability os)', { kind: 'parley', policy: 'server-side', store: 'pglite', dataDir: dataDir(), durability: 'os' }, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      for (const policy of policies) await vs(`parley ${policy} / PostgreSQL`, 'postgres', 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      await ratios(raw1, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
    }
    if (SECTION !== 'one') {
      out(`\n## ${PAIRS} pairs, ${PER_PAIR} messages each, 1 in flight per pair`)
      const rawN = await scenario('raw socket.io relay', { kind: 'raw' }, PAIRS, PER_PAIR, 1)
      out(fmt(rawN))
      await vs('parley server-side / PGlite (fsync)', { kind: 'parley', policy: 'server-side', store: 'pglite', dataDir: dataDir() }, PAIRS, PER_PAIR, 1)
      await vs('parley server-side / PostgreSQL', 'postgres', PAIRS, PER_PAIR, 1)
      await ratios(rawN, PAIRS, PER_PAIR, 1)
    }
    for (const db of dbs) await db.drop().catch(() => undefined)
  } finally {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  if (ONLY || SECTION) return // a partial run does not overwrite the results
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true })
  writeFileSync(RESULTS, `${lines.join('\n')}\n`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runRelay()
