/**
 * bench/relay: messages/s, p50/p99 ack latency and server CPU per message for Parley in each
 * policy beside two baselines measured in the same run with the same payload and acks — a raw
 * socket.io relay that stores nothing, and the naive durable relay (socket.io + a `pg` Pool of
 * 10, one INSERT per message, ack after commit) — on PGlite (file data dir, fsync per commit)
 * and PostgreSQL; one pair with 100 in flight, and 1,000 pairs. Each server runs in its own
 * child process. Results: bench/results/relay.txt.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import pg from 'pg'
import type { Policy } from '@parley/protocol'
import { load, machineLine, versionsLine, versionsOf } from '../machine.js'
import { Recorder } from '../report/record.js'
import { scenario, TEXT, type Result } from './harness.js'
import { benchPostgres, type BenchPostgres } from './postgres.js'
import { fmt, meanRaw, ratioLine, recordSection, targetLines } from './report.js'
import type { RelayServerConfig } from './server.js'

const ONE_PAIR_MESSAGES = Number(process.env.RELAY_MESSAGES ?? 5_000)
const IN_FLIGHT = 100
const PAIRS = Number(process.env.RELAY_PAIRS ?? 1_000)
const PER_PAIR = Number(process.env.RELAY_PER_PAIR ?? 10)
const RESULTS = fileURLToPath(new URL('../results/relay.txt', import.meta.url))
/** Only scenarios whose name matches this regex run (raw baselines always run); for profiling. */
const ONLY = process.env.RELAY_ONLY ? new RegExp(process.env.RELAY_ONLY) : undefined
/** `one` or `pairs`: run only that section (for profiling). */
const SECTION = process.env.RELAY_SECTION
const VERSIONS = ['socket.io', 'socket.io-client', 'pg', '@electric-sql/pglite', '@noble/ciphers', '@noble/hashes']

/** A fresh database on the bench's PostgreSQL, dropped at the end of the run. */
async function freshDb(server: BenchPostgres): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `parley_bench_${randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: server.url, connectionTimeoutMillis: 2_000 })
  await admin.connect()
  try {
    await admin.query(`CREATE DATABASE ${name}`)
  } finally {
    await admin.end().catch(() => undefined)
  }
  const u = new URL(server.url)
  u.pathname = `/${name}`
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: server.url })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}

/** Runs the suite and writes bench/results/relay.txt. */
export async function runRelay(): Promise<void> {
  const lines: string[] = []
  const out = (s: string) => {
    console.log(s)
    lines.push(s)
  }
  const postgres = await benchPostgres()
  const rec = new Recorder('relay', versionsOf(VERSIONS))
  out(`# bench/relay — ${new Date().toISOString()}`)
  out(machineLine())
  out(versionsLine(VERSIONS))
  out(postgres ? `postgres: ${postgres.settings}; ${postgres.origin}` : 'postgres: none reachable and none could be started: PostgreSQL rows skipped')
  out(`${TEXT.length}-byte text; latency = send → ack (ack after a durable commit for every row but raw); each server in its own child process, clients in this one`)
  const dirs: string[] = []
  const dataDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'parley-bench-'))
    dirs.push(d)
    return d
  }
  const dbs: { drop(): Promise<void> }[] = []
  let section: Result[] = []
  /** Runs one row (unless filtered out), prints it and keeps it for the section's ratios. */
  const row = async (name: string, config: RelayServerConfig | 'postgres' | 'naive', pairs: number, perPair: number, window: number) => {
    if (ONLY && !ONLY.test(name)) return
    if (config === 'postgres' || config === 'naive') {
      if (!postgres) return
      const db = await freshDb(postgres)
      dbs.push(db)
      config = config === 'naive'
        ? { kind: 'naive', databaseUrl: db.url }
        : { kind: 'parley', policy: /parley (\S+)/.exec(name)![1] as Policy, store: 'postgres', databaseUrl: db.url }
    }
    const r = await scenario(name, config, pairs, perPair, window, config.databaseUrl ? postgres?.cpuMs : undefined)
    out(fmt(r))
    section.push(r)
  }
  /** Measures the raw relay again and prints each row against the mean of both raw runs, then the targets. */
  const close = async (before: Result, pairs: number, perPair: number, window: number) => {
    const after = await scenario('raw socket.io relay (again)', { kind: 'raw' }, pairs, perPair, window)
    out(fmt(after))
    const raw = meanRaw(before, after)
    recordSection(rec, [before, ...section, after], raw)
    out(`vs the mean raw relay (${(raw.msgs / raw.seconds).toFixed(0)} msg/s, p99 ${raw.p99.toFixed(2)} ms, ${((1000 * raw.cpuMs) / raw.msgs).toFixed(0)} µs CPU/msg):`)
    for (const r of section) out(ratioLine(r, raw, section.find((x) => x.name.startsWith('naive'))))
    for (const l of targetLines(section, raw)) out(l)
    out(`load average at the end of the section: ${load()}`)
    section = []
  }
  const policies: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
  try {
    if (SECTION !== 'pairs') {
      out(`\n## one pair, ${ONE_PAIR_MESSAGES} messages, ${IN_FLIGHT} in flight (load average ${load()})`)
      rec.section(`one pair, ${ONE_PAIR_MESSAGES} messages, ${IN_FLIGHT} in flight`)
      const raw1 = await scenario('raw socket.io relay', { kind: 'raw' }, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      out(fmt(raw1))
      await row('naive durable relay / PostgreSQL', 'naive', 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      for (const policy of policies) await row(`parley ${policy} / PGlite (fsync)`, { kind: 'parley', policy, store: 'pglite', dataDir: dataDir() }, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      await row('parley server-side / PGlite (durability os)', { kind: 'parley', policy: 'server-side', store: 'pglite', dataDir: dataDir(), durability: 'os' }, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      for (const policy of policies) await row(`parley ${policy} / PostgreSQL`, 'postgres', 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
      await close(raw1, 1, ONE_PAIR_MESSAGES, IN_FLIGHT)
    }
    if (SECTION !== 'one') {
      out(`\n## ${PAIRS} pairs, ${PER_PAIR} messages each, 1 in flight per pair (load average ${load()})`)
      rec.section(`${PAIRS} pairs, ${PER_PAIR} messages each, 1 in flight per pair`)
      const rawN = await scenario('raw socket.io relay', { kind: 'raw' }, PAIRS, PER_PAIR, 1)
      out(fmt(rawN))
      await row('naive durable relay / PostgreSQL', 'naive', PAIRS, PER_PAIR, 1)
      await row('parley server-side / PGlite (fsync)', { kind: 'parley', policy: 'server-side', store: 'pglite', dataDir: dataDir() }, PAIRS, PER_PAIR, 1)
      await row('parley server-side / PostgreSQL', 'postgres', PAIRS, PER_PAIR, 1)
      await close(rawN, PAIRS, PER_PAIR, 1)
    }
  } finally {
    for (const db of dbs) await db.drop().catch(() => undefined)
    await postgres?.stop()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  }
  if (ONLY || SECTION) return // a partial run does not overwrite the results
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true })
  writeFileSync(RESULTS, `${lines.join('\n')}\n`)
  out(`results: ${rec.write()}`)
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runRelay()
