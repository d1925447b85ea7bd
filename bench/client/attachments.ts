/**
 * Out-of-band attachment throughput (issue 18): a 100 MiB file uploaded and downloaded through
 * Parley (sealed as the chunked file stream, hashed, sent in `UPLOAD_SEGMENT_BYTES` PATCHes,
 * stored by the default filesystem store; streamed, opened and hashed back) beside a raw HTTP
 * transfer of the same bytes in the same run (one streamed `PUT` to a file on the same disk,
 * one `GET` of it, node:http on both sides). Target: Parley ≥ 50 % of raw. Medians of
 * `RUNS`. Writes bench/results/attachments.txt and attachments.<node>.json.
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
import pino from 'pino'
import { createParleyServer, memoryStore } from '@parley/server'
import { createParleyClient, memoryKeyStore, UPLOAD_SEGMENT_BYTES } from '@parley/client'
import { load, machineLine, versionsLine } from '../machine.js'

const MIB = 1024 * 1024
const FILE_BYTES = Number(process.env.ATTACHMENT_MIB ?? 100) * MIB
const RUNS = Number(process.env.ATTACHMENT_RUNS ?? 3)
const PIECE = MIB
const TARGET = 0.5

const piece = randomFillSync(new Uint8Array(PIECE))
async function* file(): AsyncGenerator<Uint8Array> {
  for (let off = 0; off < FILE_BYTES; off += PIECE) yield piece.subarray(0, Math.min(PIECE, FILE_BYTES - off))
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mibps = (ms: number) => FILE_BYTES / MIB / (ms / 1000)

async function rawHttp(): Promise<{ up: number[]; down: number[]; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-raw-'))
  const path = join(dir, 'file.bin')
  const server = createServer((req, res) => {
    if (req.method === 'PUT') void pipeline(req, createWriteStream(path)).then(() => (res.writeHead(204), res.end()))
    else void pipeline(createReadStream(path, { highWaterMark: 256 * 1024 }), res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  const up: number[] = []
  const down: number[] = []
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now()
    await new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'PUT', path: '/f' }, (res) => (res.resume(), res.on('end', resolve)))
      req.on('error', reject)
      void pipeline(file(), req).catch(reject)
    })
    up.push(performance.now() - t)
    t = performance.now()
    const res = await fetch(`http://127.0.0.1:${port}/f`)
    const reader = res.body!.getReader()
    for (;;) if ((await reader.read()).done) break
    down.push(performance.now() - t)
  }
  return { up, down, close: async () => (server.close(), await rm(dir, { recursive: true, force: true })) }
}

async function parley(): Promise<{ up: number[]; down: number[]; close(): Promise<void> }> {
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
  const up: number[] = []
  const down: number[] = []
  for (let i = 0; i < RUNS; i++) {
    let t = performance.now()
    const att = await alice.attachments.upload(ca, { name: 'f.bin', mime: 'application/octet-stream', data: file(), size: FILE_BYTES })
    up.push(performance.now() - t)
    t = performance.now()
    for await (const _ of bob.attachments.stream(att)) void _
    down.push(performance.now() - t)
    await alice.attachments.remove(att.file.id)
  }
  return { up, down, close: async () => (await alice.close(), await bob.close(), await server.close(), await new Promise<void>((r) => http.close(() => r()))) }
}

const loadBefore = load()
const raw = await rawHttp()
await raw.close()
const p = await parley()
await p.close()
const row = (name: string, ms: number[]) => `${name.padEnd(26)} ${mibps(median(ms)).toFixed(1).padStart(8)} MiB/s   (median of ${ms.map((x) => x.toFixed(0)).join(', ')} ms)`
const ratio = { upload: mibps(median(p.up)) / mibps(median(raw.up)), download: mibps(median(p.down)) / mibps(median(raw.down)) }
const roundTrip = (median(raw.up) + median(raw.down)) / (median(p.up) + median(p.down))
const lines = [
  `Attachments: ${FILE_BYTES / MIB} MiB, ${RUNS} runs each, upload segments of ${UPLOAD_SEGMENT_BYTES / MIB} MiB (bench/client/attachments.ts)`,
  machineLine(),
  versionsLine(['@noble/ciphers', '@noble/hashes']),
  `load average before: ${loadBefore}; after: ${load()}`,
  '',
  row('raw HTTP PUT', raw.up),
  row('raw HTTP GET', raw.down),
  row('Parley upload (sealed)', p.up),
  row('Parley download (opened)', p.down),
  '',
  `Parley / raw: upload ${(ratio.upload * 100).toFixed(0)} %, download ${(ratio.download * 100).toFixed(0)} %, round trip ${(roundTrip * 100).toFixed(0)} % (target ≥ ${TARGET * 100} %: ${roundTrip >= TARGET ? 'met' : 'NOT met'})`,
]
console.log(lines.join('\n'))
const results = new URL('../results/', import.meta.url)
writeFileSync(new URL('attachments.txt', results), lines.join('\n') + '\n')
writeFileSync(new URL(`attachments.node-${process.version}.json`, results), JSON.stringify({ fileBytes: FILE_BYTES, runs: RUNS, raw, parley: { up: p.up, down: p.down }, ratio: { ...ratio, roundTrip } }, null, 2) + '\n')
process.exit(0)
