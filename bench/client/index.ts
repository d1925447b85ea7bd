/**
 * bench/client: two @parley/client instances end to end (default-e2ee) through a Parley
 * server in a child process (memoryStore: this suite measures the clients; bench/relay the
 * stores), beside a raw socket.io relay in its own child process, clients of both in this
 * process: messages/s and p50/p99 with 100 in flight (rounds alternate, the machine is
 * shared), the first message of a fresh pair (bundle fetch + PQXDH), the catch-up of a device
 * that was offline for 5,000 messages beside libsignal decrypting as many and the raw relay
 * delivering as many, and the browser bundle size. Results: bench/results/client.txt. Then the
 * group part (group.ts: a 50-member group beside a 1:1), results/client-group.txt.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { build } from 'esbuild'
import { load, machineLine, versionsLine, versionsOf } from '../machine.js'
import { Recorder } from '../report/record.js'
import { startServer } from '../relay/harness.js'
import { libsignalDecrypt, parleyCatchUp, rawBurst } from './catch-up.js'
import { runGroupBench } from './group.js'
import { client, drive, pct, rawSend, rawSocket, TEXT, type Result } from './harness.js'

const MESSAGES = 2_000
const IN_FLIGHT = 100
const FIRST_MESSAGE_RUNS = 10
/** Raw and Parley runs alternate this many times (the machine is shared; load drifts). */
const ROUNDS = 3
const CATCH_UP = Number(process.env.CLIENT_CATCH_UP ?? 5_000)
const RESULTS = fileURLToPath(new URL('../results/client.txt', import.meta.url))
/** Issue 13's targets. */
const THROUGHPUT_TARGET = 0.3
const FIRST_MESSAGE_SLACK_MS = 3
const CATCH_UP_FACTOR = 2

const fmt = (n: number) => n.toFixed(2)
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')

async function rawThroughput(url: string, round: number, count = MESSAGES, window = IN_FLIGHT): Promise<Result> {
  const a = await rawSocket(url, `ra${round}-${window}`)
  const b = await rawSocket(url, `rb${round}-${window}`)
  const r = await drive(count, window, (i) => rawSend(a, `rb${round}-${window}`, { i, text: TEXT }), (cb) => b.on('msg', (p: { i: number }) => cb(p.i)))
  a.close()
  b.close()
  return r
}

async function parleyThroughput(url: string, round: number): Promise<Result> {
  const alice = await client(url, `alice${round}`)
  const bob = await client(url, `bob${round}`)
  const ca = await alice.conversations.open(`bob${round}`)
  const warm = new Promise<void>((resolve) => bob.on('message', (m) => m.text === 'warm-up' && resolve()))
  await ca.send({ text: 'warm-up' }) // session set up outside the measurement
  await warm
  const seen = new Set<number>()
  const result = await drive(MESSAGES, IN_FLIGHT, (i) => ca.send({ text: `${i}:${TEXT}` }), (cb) =>
    bob.on('message', (m) => {
      if (m.status !== 'received' || m.text === 'warm-up') return
      const i = Number(m.text.slice(0, m.text.indexOf(':')))
      if (!seen.has(i)) {
        seen.add(i)
        cb(i)
      }
    }))
  await alice.close()
  await bob.close()
  return result
}

/** ms from send() on a fresh pair (no session yet) until the peer emits the message. */
async function firstMessage(url: string): Promise<number[]> {
  const out: number[] = []
  for (let run = 0; run < FIRST_MESSAGE_RUNS; run++) {
    const a = await client(url, `fa${run}`)
    const b = await client(url, `fb${run}`)
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

/** Runs the suite and writes bench/results/client.txt. */
export async function runClientBench(): Promise<void> {
  const lines: string[] = []
  const out = (s: string) => {
    console.log(s)
    lines.push(s)
  }
  out(`# bench/client — ${new Date().toISOString()}`)
  out(machineLine())
  out(versionsLine(['socket.io', 'socket.io-client', '@signalapp/libsignal-client', '@noble/curves', '@noble/ciphers', '@noble/hashes', '@noble/post-quantum']))
  out(`${MESSAGES} messages, ${IN_FLIGHT} in flight, ${TEXT.length}-byte text, ${ROUNDS} alternating raw/parley rounds; Parley server (default-e2ee, memoryStore) and raw relay each in a child process, clients in this one`)
  const rec = new Recorder('client', versionsOf(['socket.io', 'socket.io-client', '@signalapp/libsignal-client', '@noble/curves', '@noble/post-quantum']))
  const raw = await startServer({ kind: 'raw' })
  const parley = await startServer({ kind: 'parley', policy: 'default-e2ee', store: 'memory' })
  try {
    const rounds: { raw: Result; e2ee: Result }[] = []
    for (let r = 0; r < ROUNDS; r++) {
      const x = { raw: await rawThroughput(raw.url, r), e2ee: await parleyThroughput(parley.url, r) }
      rounds.push(x)
      out(`  round ${r + 1}: raw ${fmt(x.raw.msgsPerSec)} msg/s, parley ${fmt(x.e2ee.msgsPerSec)} msg/s = ${fmt((100 * x.e2ee.msgsPerSec) / x.raw.msgsPerSec)} %  (load ${load()})`)
    }
    const single = await rawThroughput(raw.url, 99, 200, 1)
    const first = await firstMessage(parley.url)
    const ratios = rounds.map((x) => x.e2ee.msgsPerSec / x.raw.msgsPerSec)
    const mid = rounds[ratios.indexOf([...ratios].sort((x, y) => x - y)[Math.floor(ROUNDS / 2)]!)]!
    const ratio = mid.e2ee.msgsPerSec / mid.raw.msgsPerSec
    const firstP50 = pct(first, 50)
    out(`raw socket.io relay            ${fmt(mid.raw.msgsPerSec).padStart(9)} msg/s  p50 ${fmt(mid.raw.p50)} ms  p99 ${fmt(mid.raw.p99)} ms (median round)`)
    out(`parley default-e2ee (clients)  ${fmt(mid.e2ee.msgsPerSec).padStart(9)} msg/s  p50 ${fmt(mid.e2ee.p50)} ms  p99 ${fmt(mid.e2ee.p99)} ms`)
    out(`  throughput                   ${fmt(100 * ratio)} % of raw (median of ${ROUNDS})  target ≥ ${100 * THROUGHPUT_TARGET} %  ${verdict(ratio >= THROUGHPUT_TARGET)}`)
    out(`first message (fetch + PQXDH)  p50 ${fmt(firstP50)} ms, min ${fmt(first[0]!)} ms over ${FIRST_MESSAGE_RUNS} fresh pairs`)
    out(`  vs raw p50 at ${IN_FLIGHT} in flight   +${fmt(firstP50 - mid.raw.p50)} ms  target ≤ +${FIRST_MESSAGE_SLACK_MS} ms  ${verdict(firstP50 <= mid.raw.p50 + FIRST_MESSAGE_SLACK_MS)}`)
    out(`  vs raw p50 at 1 in flight    +${fmt(firstP50 - single.p50)} ms (raw p50 ${fmt(single.p50)} ms)  ${verdict(firstP50 <= single.p50 + FIRST_MESSAGE_SLACK_MS)}`)
    rec.section(`end to end, ${MESSAGES} messages, ${IN_FLIGHT} in flight (median of ${ROUNDS} alternating rounds)`)
    rec.row('raw socket.io relay', { 'msg/s': mid.raw.msgsPerSec, 'p50 ms': mid.raw.p50, 'p99 ms': mid.raw.p99 })
    rec.row('parley default-e2ee (clients)', { 'msg/s': mid.e2ee.msgsPerSec, 'p50 ms': mid.e2ee.p50, 'p99 ms': mid.e2ee.p99 })
    rec.row('first message of a fresh pair (fetch + PQXDH)', { 'p50 ms': firstP50, 'min ms': first[0]! })
    rec.figure({ name: 'throughput vs raw', subject: 'parley default-e2ee (clients)', baseline: 'raw socket.io relay', metric: 'msg/s', value: ratio, unit: '×', target: { op: '>=', value: THROUGHPUT_TARGET } })
    rec.figure({ name: 'first message minus raw p50', subject: 'first message of a fresh pair (fetch + PQXDH)', baseline: 'raw socket.io relay', metric: 'p50 ms', value: firstP50 - mid.raw.p50, unit: 'ms', target: { op: '<=', value: FIRST_MESSAGE_SLACK_MS } })
    out(`catch-up of ${CATCH_UP} (load ${load()})`)
    const catchUp = await parleyCatchUp(parley.url, CATCH_UP, 'r1')
    const signal = await libsignalDecrypt(CATCH_UP)
    const burst = await rawBurst(raw.url, CATCH_UP, 'r1')
    const budget = CATCH_UP_FACTOR * (signal + burst)
    out(`  parley: offline device reconnects → all decrypted and emitted   ${fmt(catchUp).padStart(9)} ms  (${fmt((1000 * catchUp) / CATCH_UP)} µs/msg)`)
    out(`  libsignal-client: decrypt ${CATCH_UP} (in memory)                   ${fmt(signal).padStart(9)} ms`)
    out(`  raw relay: deliver ${CATCH_UP} plain, sent at once                  ${fmt(burst).padStart(9)} ms`)
    out(`  parley / (libsignal + raw)   ${fmt(catchUp / (signal + burst))}×  target ≤ ${CATCH_UP_FACTOR}×  ${verdict(catchUp <= budget)}`)
    rec.section(`catch-up of ${CATCH_UP} E2EE messages after reconnecting`)
    rec.row('parley: reconnect → all decrypted and emitted', { ms: catchUp })
    rec.row('libsignal-client: decrypt (in memory)', { ms: signal })
    rec.row('raw relay: deliver plain, sent at once', { ms: burst })
    rec.figure({ name: 'catch-up vs libsignal decrypt + raw delivery', subject: 'parley: reconnect → all decrypted and emitted', baseline: 'libsignal decrypt + raw delivery', metric: 'ms', value: catchUp / (signal + burst), unit: '×', target: { op: '<=', value: CATCH_UP_FACTOR } })
  } finally {
    await raw.stop()
    await parley.stop()
  }
  const bundle = await bundleSize()
  out(`browser bundle                 ${(bundle.min / 1024).toFixed(1)} KB minified, ${(bundle.gzip / 1024).toFixed(1)} KB minified+gzip`)
  out(`load average at the end: ${load()}`)
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true })
  writeFileSync(RESULTS, `${lines.join('\n')}\n`)
  out(`results: ${rec.write()}`)
  await runGroupBench()
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await runClientBench()
