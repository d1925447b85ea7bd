/**
 * Out-of-band attachment throughput (issue 18): a 100 MiB file uploaded and downloaded through
 * Parley (sealed as the chunked file stream, hashed, sent in `UPLOAD_SEGMENT_BYTES` PATCHes,
 * stored by the default filesystem store; streamed, opened and hashed back) beside a raw HTTP
 * transfer of the same bytes in the same run (one streamed `PUT` to a file on the same disk,
 * one `GET` of it read with fetch, as Parley's download is; node:http servers). Target: Parley ≥ 50 % of raw in each direction.
 * The machine is shared, so the two are interleaved (raw PUT, Parley upload, raw GET, Parley
 * download, `RUNS` rounds, after one untimed warm-up round): each round's ratio compares
 * transfers made seconds apart under the same load, and the median of the rounds' ratios is the
 * figure. Each side runs in its own child process (client and server both), so neither pays for
 * the other's garbage, and nothing forces a collection: forced ones before and after each
 * transfer (the method until 2026-12-03) made V8 run a full collection every 50–100 ms during
 * the next upload, costing Parley's upload most (docs/performance.md). CPU time per transfer
 * (`process.cpuUsage` of the side's process) is printed too, being far less sensitive to other
 * processes than wall time. Writes bench/results/attachments.txt and attachments.<node>.json.
 *
 *   npm run bench:attachments -w @parley/bench    (ATTACHMENT_MIB=20 for a quick run)
 */
import { createServer, request } from 'node:http'
import { createReadStream, createWriteStream, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomFillSync } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import pino from 'pino'
import { createParleyServer, memoryStore } from '@parley/server'
import { createParleyClient, memoryKeyStore, UPLOAD_SEGMENT_BYTES } from '@parley/client'
import { load, machineLine, versionsLine } from '../machine.js'

const MIB = 1024 * 1024
const FILE_BYTES = Number(process.env.ATTACHMENT_MIB ?? 100) * MIB
const RUNS = Number(process.env.ATTACHMENT_RUNS ?? 5)
const PIECE = MIB
const TARGET = 0.5

const piece = randomFillSync(new Uint8Array(PIECE))
async function* file(): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < FILE_BYTES; off += PIECE) yield piece.subarray(0, Math.min(PIECE, FILE_BYTES - off))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mibps = (ms: number) => FILE_BYTES / MIB / (ms / 1000)

/** One transfer's wall and CPU time (ms). */
interface Timing { ms: number; cpuMs: number }
async function timed(f: () => Promise<unknown>): Promise<Timing> {
  const cpu = process.cpuUsage()
  const t = performance.now()
  await f()
  const ms = performance.now() - t
  const used = process.cpuUsage(cpu)
  return { ms, cpuMs: (used.user + used.system) / 1000 }
}

/** The two directions of one side of the comparison. */
interface Side { up(): Promise<unknown>; down(): Promise<unknown>; close(): Promise<void> }

async function rawHttp(): Promise<Side> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-raw-'))
  const path = join(dir, 'file.bin')
  const server = createServer((req, res) => {
    if (req.method === 'PUT') void pipeline(req, createWriteStream(path)).then(() => (res.writeHead(204), res.end()))
    else void pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    up: () => new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/f' }, (res) => (res.resume(), res.on('end', resolve)))
      req.on('error', reject)
      void pipeline(file(), req).catch(reject)
    }),
    async down() {
      const res = await fetch(`http://127.0.0.1:${port}/f`)
      const reader = res.body!.getReader()
      for (;;) if ((await reader.read()).done) break
    },
    close: async () => (server.close(), await rm(dir, { recursive: true, force: true })),
  }
}

async function parley(): Promise<Side> {
  const http = createServer()
  const server = createParleyServer({
    httpServer: http, policy: 'default-e2ee', store: memoryStore(), logger: pino({ level: 'silent' }),
    authenticate: (hs) => ({ userId: String((hs.auth as { token?: unknown }).token) }),
    limits: { connection: { capacity: 1e6, refillPerSecond: 1e6 }, user: { capacity: 1e6, refillPerSecond: 1e6 } },
  })
  await server.ready
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  const client = (u: string) => createParleyClient({ url, token: u, keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
  const [alice, bob] = await Promise.all([client('alice'), client('bob')])
  const ca = await alice.conversations.open('bob')
  await bob.conversations.open('alice')
  let att: Awaited<ReturnType<typeof alice.attachments.upload>> | undefined
  return {
    async up() {
      if (att) await alice.attachments.remove(att.file.id)
      att = await alice.attachments.upload(ca, { name: 'f.bin', mime: 'application/octet-stream', data: file(), size: FILE_BYTES })
    },
    async down() {
      for await (const _ of bob.attachments.stream(att!)) void _
    },
    close: async () => (await alice.close(), await bob.close(), await server.close(), await new Promise<void>((r) => http.close(() => r()))),
  }
}

type Command = 'up' | 'down' | 'close'
const ROLE = process.env.BENCH_ATTACHMENT_SIDE as 'raw' | 'parley' | undefined

if (ROLE) {
  // A side's process: sets up its server and client, then times each transfer the parent asks for.
  const side = ROLE === 'raw' ? await rawHttp() : await parley()
  process.on('message', (cmd: Command) => {
    if (cmd === 'close') return void side.close().then(() => process.exit(0))
    void timed(cmd === 'up' ? side.up : side.down).then((t) => process.send!(t), (e: unknown) => {
      console.error(e)
      process.exit(1)
    })
  })
  process.send!('ready')
} else {
  await runParent()
}

/** A side in its own process, asked for one timed transfer at a time. */
async function startSide(role: 'raw' | 'parley'): Promise<{ run(cmd: 'up' | 'down'): Promise<Timing>; close(): Promise<void> }> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [], {
    execArgv: process.execArgv, env: { ...process.env, BENCH_ATTACHMENT_SIDE: role }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const next = () => new Promise<unknown>((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`the ${role} side exited with ${code}`))
    child.once('exit', onExit)
    child.once('message', (m) => (child.off('exit', onExit), resolve(m)))
  })
  await next() // 'ready'
  return {
    run: (cmd) => (child.send(cmd), next() as Promise<Timing>),
    close: () => new Promise<void>((r) => (child.once('exit', () => r()), child.send('close'))),
  }
}

async function runParent(): Promise<void> {
  const loadBefore = load()
  const raw = await startSide('raw')
  const p = await startSide('parley')
  const t = { rawUp: [] as Timing[], rawDown: [] as Timing[], up: [] as Timing[], down: [] as Timing[] }
  for (let i = -1; i < RUNS; i++) {
    const round = { rawUp: await raw.run('up'), up: await p.run('up'), rawDown: await raw.run('down'), down: await p.run('down') }
    if (i < 0) continue // the warm-up round: code compiled, heaps at their working size
    for (const k of Object.keys(round) as (keyof typeof round)[]) t[k].push(round[k])
  }
  await raw.close()
  await p.close()

  const ms = (xs: Timing[]) => xs.map((x) => x.ms)
  /** Median over the rounds of raw time / Parley time (wall or CPU). */
  const ratioOf = (r: Timing[], q: Timing[], key: keyof Timing) => median(r.map((x, i) => x[key] / q[i]![key]))
  const ratio = {
    upload: ratioOf(t.rawUp, t.up, 'ms'), download: ratioOf(t.rawDown, t.down, 'ms'),
    uploadCpu: ratioOf(t.rawUp, t.up, 'cpuMs'), downloadCpu: ratioOf(t.rawDown, t.down, 'cpuMs'),
  }
  const pct = (x: number) => `${(x * 100).toFixed(0)} %`
  const verdict = (x: number) => `${pct(x)} (target ≥ ${pct(TARGET)}: ${x >= TARGET ? 'met' : 'NOT met'})`
  const row = (name: string, xs: Timing[]) =>
    `${name.padEnd(26)} ${mibps(median(ms(xs))).toFixed(1).padStart(8)} MiB/s   cpu ${median(xs.map((x) => x.cpuMs)).toFixed(0).padStart(5)} ms   (wall ${ms(xs).map((x) => x.toFixed(0)).join(', ')} ms)`
  const lines = [
    `Attachments: ${FILE_BYTES / MIB} MiB, ${RUNS} interleaved rounds (+1 warm-up), each side in its own process, no forced GC, upload segments of ${UPLOAD_SEGMENT_BYTES / MIB} MiB (bench/client/attachments.ts)`,
    machineLine(),
    versionsLine(['@noble/ciphers', '@noble/hashes']),
    `load average before: ${loadBefore}; after: ${load()}`,
    '',
    row('raw HTTP PUT', t.rawUp),
    row('raw HTTP GET', t.rawDown),
    row('Parley upload (sealed)', t.up),
    row('Parley download (opened)', t.down),
    '',
    `Parley / raw, median of the rounds' ratios (wall time):`,
    `  upload   ${verdict(ratio.upload)}`,
    `  download ${verdict(ratio.download)}`,
    `CPU time (raw / Parley): upload ${pct(ratio.uploadCpu)}, download ${pct(ratio.downloadCpu)}`,
  ]
  console.log(lines.join('\n'))
  const results = new URL('../results/', import.meta.url)
  writeFileSync(new URL('attachments.txt', results), lines.join('\n') + '\n')
  writeFileSync(new URL(`attachments.node-${process.version}.json`, results), JSON.stringify({ fileBytes: FILE_BYTES, runs: RUNS, timings: t, ratio }, null, 2) + '\n')
  process.exit(0)
}
