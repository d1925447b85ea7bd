/**
 * The edge fuzzer's harness: starts `_edge-server.ts` (PGlite on disk, `--expose-gc`) in a
 * child process, builds a world (a user and a hostile one, mallory, sharing a conversation),
 * optionally bursts large valid sends, then sends mallory's frames (one at a time) while an honest user in a third process (`_edge-pinger.ts`) asks `conversation.list`
 * every `PING_INTERVAL_MS`. It records what a hostile frame must never cause: an ack that is
 * not a typed error (or no ack), an `internal` code, an `onError` report, the server process
 * dying (crash or unhandled rejection), a store change from a window of refused frames, RSS
 * growth after forced GC, and a slow answer to an honest request made while it was in flight.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ERROR_CODES, MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS, type AckResponse, type Policy } from '@parley/protocol'
import { frankMessage, generatePreKeys, sha256Base64, signHelloProof } from '@parley/crypto'
import { connect, connectDevice, ok, type RawSocket, type TestDevice } from '../../../server/test/helpers/client.js'
import { e2eeSend, makeTestUser, plainSend, registerFrame, type TestUser } from '../../../server/test/helpers/device.js'
import { edgeFrames, type EdgeFrame, type EdgeWorld, type FrameKind } from './_edge-frames.js'
import type { EdgeFault, EdgeServerConfig, ServerMemory } from './_edge-server.js'
import { describeMemory, jsRetainedGrowth, warmupFrames } from './_edge-memory.js'
import type { Ping } from './_edge-pinger.js'

const CHILD = fileURLToPath(new URL('./_edge-server.ts', import.meta.url))
/** How long a frame's ack may take before the harness calls it lost, ms. */
export const ACK_TIMEOUT_MS = 15_000
/**
 * How long the burst of large sends may take to be acked, ms: 60 × 1.4 MB of base64 is sealed,
 * compressed and written in byte-bounded batches; on a loaded machine that takes many seconds.
 */
export const BURST_ACK_TIMEOUT_MS = 300_000
/** Pause after the burst before the frames start, ms. */
export const BURST_SETTLE_MS = 3_000
/** Frames per store-digest window (every other window is compared; see `flush`). */
export const DIGEST_WINDOW = 25
/**
 * Hostile frames in flight at once: one, so an honest request made during a hostile frame
 * waits behind that frame alone, which is the bound issue 19 sets (with 4 pipelined, the
 * slowest honest request measured here was 239 ms, p99 97 ms, over 20,000 frames).
 */
export const HOSTILE_CONCURRENCY = 1
/** Frames between memory samples (after forced GC) during the run, for diagnosis; 0 for none. */
export const MEMORY_SAMPLE_EVERY = Number(process.env.PARLEY_FUZZ_MEMORY_EVERY ?? 0)
/** Pause between the honest user's requests, ms (so they measure, not compete). */
export const PING_INTERVAL_MS = 10

/** What a run saw. Every list of failures must be empty for a passing run. */
export interface EdgeReport {
  policy: Policy
  seed: number
  frames: number
  byKind: Record<FrameKind, number>
  accepted: number
  codes: Record<string, number>
  /** Acks that were not `{ ok: true }` or a typed error, `internal` acks, lost acks. */
  failures: string[]
  /** `onError` reports from the server (client input must never cause one). */
  onError: string[]
  /** Set when the server process exited during the run (crash, unhandled rejection). */
  died?: string
  /** Windows of refused frames whose store digest was compared / changed. */
  digestWindows: number
  digestChanged: string[]
  /** Honest `conversation.list` latency, ms, one per hostile frame. */
  honestMaxMs: number
  honestP99Ms: number
  /** Honest requests made while a hostile frame was in flight. */
  honestRequests: number
  /** The hostile frame whose honest ping was slowest. */
  slowest?: { event: string; kind: FrameKind; ms: number }
  /** Server CPU time (user + system) and wall time over the frames, ms. */
  serverCpuMs: number
  fuzzMs: number
  rssBaseline: number
  /** RSS after the burst of large sends was acked (and GC), and how long the burst took, ms. */
  rssAfterBurst: number
  burstMs: number
  rssFinal: number
  /** The server's full memory figures at the three points (RSS above is their `rss`). */
  memory: { baseline?: ServerMemory; afterBurst?: ServerMemory; warm?: ServerMemory; final?: ServerMemory; samples: { frame: number; memory: ServerMemory }[] }
  durationMs: number
}

interface Child {
  process: ChildProcess
  url: string
  exited: Promise<string>
  request<T>(type: 'rss' | 'digest' | 'cpu' | 'checkpoint'): Promise<T>
  stop(): Promise<void>
  onError: string[]
}

function startChild(config: Omit<EdgeServerConfig, 'dataDir'>): Promise<Child> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-edge-'))
  const child = spawn(process.execPath, ['--expose-gc', '--conditions=@parley/source', '--import', 'tsx', CHILD, JSON.stringify({ ...config, dataDir })], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  })
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => void (stderr = (stderr + b.toString()).slice(-4_000)))
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => {
    rmSync(dataDir, { recursive: true, force: true })
    resolve(`server exited (code ${code}, signal ${signal}): ${stderr.slice(-1_500)}`)
  }))
  const pending = new Map<number, (m: Record<string, unknown>) => void>()
  const onError: string[] = []
  let nextId = 0
  child.on('message', (m: Record<string, unknown>) => {
    if (m.type === 'onError') onError.push(`${String(m.where)}/${String(m.event)}: ${String(m.code)} ${String(m.message)}`)
    else pending.get(m.id as number)?.(m)
  })
  return new Promise((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error(`edge server did not start: ${stderr}`)), 90_000)
    void exited.then((why) => {
      clearTimeout(timer)
      reject(new Error(why))
    })
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /PARLEY_READY (\d+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      resolve({
        process: child, url: `http://127.0.0.1:${m[1]}`, exited, onError,
        request<T>(type: 'rss' | 'digest' | 'cpu' | 'checkpoint') {
          const id = ++nextId
          child.send({ type, id })
          return Promise.race([
            new Promise<T>((res, rej) => pending.set(id, (r) => (r.error ? rej(new Error(String(r.error))) : res((r.rss ?? r.digest ?? r.cpu ?? r.done) as T)))),
            exited.then((why) => Promise.reject(new Error(why))),
          ])
        },
        async stop() {
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
          await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))])
          if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
        },
      })
    })
  })
}

const PINGER = fileURLToPath(new URL('./_edge-pinger.ts', import.meta.url))

/** Starts the honest user's process (`_edge-pinger.ts`); `stop()` returns its requests. */
function startPinger(url: string): Promise<{ stop(): Promise<Ping[]>; kill(): void }> {
  const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', PINGER, JSON.stringify({ url, intervalMs: PING_INTERVAL_MS, timeoutMs: ACK_TIMEOUT_MS })], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let pings: Ping[] | undefined
  child.on('message', (m: { type: string; pings?: Ping[] }) => {
    if (m.type === 'pings') pings = m.pings
  })
  return new Promise((resolve, reject) => {
    child.once('message', (m: { type: string }) => {
      if (m.type !== 'ready') return reject(new Error(`pinger said ${m.type}`))
      resolve({
        kill: () => void (child.exitCode === null && child.kill('SIGKILL')),
        async stop() {
          child.send({ type: 'stop' })
          await Promise.race([exited, new Promise((r) => setTimeout(r, ACK_TIMEOUT_MS * 2))])
          if (child.exitCode === null) child.kill('SIGKILL')
          if (!pings) throw new Error('the pinger sent no results')
          return pings
        },
      })
    })
    void exited.then(() => reject(new Error('the pinger exited before it was ready')))
  })
}

/** Emits with an ack; resolves with the ack, or a string saying why there was none. */
function emit(socket: RawSocket, event: string, frame: unknown, timeoutMs = ACK_TIMEOUT_MS): Promise<AckResponse<unknown> | string> {
  if (!socket.connected) return Promise.resolve('socket disconnected')
  return (socket.timeout(timeoutMs).emitWithAck(event, frame) as Promise<AckResponse<unknown>>).catch((e: unknown) => `no ack: ${String(e)}`)
}

/**
 * Events that write nothing to any digested table even when accepted (`keys.fetch` claims
 * prekeys, so it is not here). A window whose accepted frames are all of these must leave the
 * store as it was, as must one where every frame was refused.
 */
export const READ_ONLY_EVENTS: ReadonlySet<string> = new Set([
  'hello', 'hello.challenge', 'conversation.list', 'inbox.sync', 'history.fetch', 'typing.send', 'receipt.send', 'block.list', 'mute.list',
  'request.list', 'link.lookup', 'blob.get',
])

const TYPED = new Set(ERROR_CODES.filter((c) => c !== 'internal'))

/** Why `ack` is not an acceptable answer to a hostile frame, or undefined when it is. */
export function judgeAck(ack: AckResponse<unknown> | string): string | undefined {
  if (typeof ack === 'string') return ack
  if (ack && ack.ok === true) return undefined
  const code = (ack as { error?: { code?: unknown } })?.error?.code
  if (typeof code !== 'string') return `untyped ack ${JSON.stringify(ack).slice(0, 120)}`
  if (code === 'internal') return 'internal ack'
  return TYPED.has(code) ? undefined : `unknown code ${code}`
}

/** Where the burst of large sends goes: a conversation of mallory's with a third user. */
interface BurstTarget {
  conversationId: string
  recipient: string
  e2ee: boolean
}

async function buildWorld(url: string): Promise<{ world: EdgeWorld; honest: TestDevice; hostile: TestDevice; mallory: TestUser; burst: BurstTarget }> {
  const honestUser = makeTestUser(1)
  const mallory = makeTestUser(1)
  const honest = await connectDevice(url, honestUser)
  const hostile = await connectDevice(url, mallory)
  const convo = (await ok(hostile.socket, 'conversation.open', { peerUserId: honestUser.userId })).conversation
  const e2ee = convo.encryption === 'e2ee'
  const messageIds: string[] = []
  for (let i = 0; i < 3; i++) {
    const text = `seed ${i}`
    const sent = await ok(hostile.socket, 'message.send', e2ee ? e2eeSend(convo.id, text, [{ userId: honestUser.userId, deviceId: 'd1' }]) : plainSend(convo.id, text))
    messageIds.push(sent.messageId)
  }
  const batch = generatePreKeys(mallory.devices[0]!, { oneTimeStartId: 10_000, oneTimeCount: 3, kemOneTimeStartId: 10_000, kemOneTimeCount: 3 })
  // The burst goes to another conversation: it measures memory, and its megabytes of history
  // are not what the fuzzed `history.fetch` frames should read (see decision 0010).
  const sinkUser = makeTestUser(1)
  const sink = await connectDevice(url, sinkUser)
  sink.close()
  const sinkConvo = (await ok(hostile.socket, 'conversation.open', { peerUserId: sinkUser.userId })).conversation
  return {
    burst: { conversationId: sinkConvo.id, recipient: sinkUser.userId, e2ee: sinkConvo.encryption === 'e2ee' },
    world: {
      mallory, device: mallory.devices[0]!, honestUserId: honestUser.userId, conversationId: convo.id, messageIds, e2ee,
      publish: { oneTimePreKeys: batch.public.oneTimePreKeys, kemOneTimePreKeys: batch.public.kemOneTimePreKeys },
      register: registerFrame(mallory, 0, { oneTime: 1, kemOneTime: 1 }),
    },
    honest, hostile, mallory,
  }
}

/** A valid send of `MAX_ATTACHMENTS` full attachments (server-side body, or e2ee ciphertexts). */
function largeSend(w: BurstTarget, i: number): unknown {
  const data = Buffer.alloc(MAX_ATTACHMENT_BYTES, i % 251).toString('base64')
  if (w.e2ee) {
    const { tf } = frankMessage({ text: '', attachments: [] })
    return {
      conversationId: w.conversationId, clientMessageId: `burst-${i}`, tf, mode: 'e2ee',
      envelopes: [{ userId: w.recipient, deviceId: 'd1', type: 'message', ciphertext: Buffer.alloc(64, i).toString('base64') }],
      attachments: Array.from({ length: MAX_ATTACHMENTS }, (_, k) => ({ id: `a${k}`, ciphertext: data })),
    }
  }
  const attachments = Array.from({ length: MAX_ATTACHMENTS }, (_, k) => ({
    name: `f${k}.bin`, mime: 'application/octet-stream', size: MAX_ATTACHMENT_BYTES, sha256: sha256Base64(Buffer.alloc(MAX_ATTACHMENT_BYTES, i % 251)),
  }))
  const { tf, nf } = frankMessage({ text: 'burst', attachments })
  return { conversationId: w.conversationId, clientMessageId: `burst-${i}`, tf, mode: 'server-side', body: { text: 'burst', attachments: attachments.map((a) => ({ ...a, data })), nf } }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0
}

export interface RunOptions {
  policy: Policy
  seed: number
  frames: number
  fault?: EdgeFault
  /** Concurrent valid large sends before the fuzzing (the memory burst of issue 19); 0 for none. */
  burst?: number
  /** Stop at the first failure (for the known-bad runs). */
  stopOnFailure?: boolean
}

/** Runs one fuzzing session against a fresh server process and reports what it saw. */
export async function runEdgeFuzzer(o: RunOptions): Promise<EdgeReport> {
  const started = Date.now()
  const child = await startChild({ policy: o.policy, fault: o.fault ?? 'none' })
  let died: string | undefined
  void child.exited.then((why) => void (died = why))
  const report: EdgeReport = {
    policy: o.policy, seed: o.seed, frames: 0, byKind: { valid: 0, random: 0, mutant: 0, oversized: 0 }, accepted: 0, codes: {},
    failures: [], onError: child.onError, digestWindows: 0, digestChanged: [], honestMaxMs: 0, honestP99Ms: 0, honestRequests: 0,
    serverCpuMs: 0, fuzzMs: 0, rssBaseline: 0, rssAfterBurst: 0, burstMs: 0, rssFinal: 0, memory: { samples: [] }, durationMs: 0,
  }
  const sockets: RawSocket[] = []
  let killPinger: (() => void) | undefined
  try {
    if (process.env.PARLEY_FUZZ_DEBUG) console.log('child up')
    const { world, honest, hostile, mallory, burst } = await buildWorld(child.url)
    if (process.env.PARLEY_FUZZ_DEBUG) console.log('world built')
    sockets.push(honest.socket, hostile.socket)
    let fresh = await connect(child.url, mallory.userId)
    sockets.push(fresh)
    report.memory.baseline = await child.request<ServerMemory>('rss')
    report.rssBaseline = report.memory.baseline.rss
    if (o.burst) {
      const burstStart = Date.now()
      const acks = await Promise.all(Array.from({ length: o.burst }, (_, i) => emit(hostile.socket, 'message.send', largeSend(burst, i), BURST_ACK_TIMEOUT_MS)))
      for (const a of acks) {
        const why = judgeAck(a)
        if (why) report.failures.push(`burst: ${why}`)
        else if (typeof a !== 'string' && !a.ok) report.failures.push(`burst send refused: ${a.error.code}`)
      }
      report.memory.afterBurst = await child.request<ServerMemory>('rss')
      report.rssAfterBurst = report.memory.afterBurst.rss
      report.burstMs = Date.now() - burstStart
      // The burst's aftermath (its deliveries, PGlite writing its WAL out) is not a hostile frame: let it pass.
      await child.request<boolean>('checkpoint')
      await new Promise((r) => setTimeout(r, BURST_SETTLE_MS))
    }
    // Hostile frames' send and ack times (epoch ms), to charge each honest request's wait to
    // the frames in flight while it waited.
    const spans: { from: number; to: number; event: string; kind: FrameKind }[] = []
    let mainSocket = hostile.socket
    const pinger = await startPinger(child.url)
    killPinger = pinger.kill
    const cpuStart = await child.request<number>('cpu')
    const fuzzStart = Date.now()
    let i = 0
    let window: EdgeFrame[] = []
    const flush = async (index: number) => {
      // Even windows are drawn without valid frames: if the server refused every frame that
      // could write (accepted reads aside), every table must be as before.
      const compare = Math.floor(index / DIGEST_WINDOW) % 2 === 0
      const before = compare ? await child.request<Record<string, string>>('digest') : undefined
      let refusedOnly = true
      const frames = window
      window = []
      let next = 0
      const worker = async () => {
        while (next < frames.length && !died) {
          const n = index + next
          const f = frames[next++]!
          if (!mainSocket.connected) mainSocket = (await reconnectHostile(child.url, mallory, sockets)).socket
          if (!fresh.connected) sockets.push((fresh = await connect(child.url, mallory.userId)))
          const from = Date.now()
          const ack = await emit(f.fresh ? fresh : mainSocket, f.event, f.frame)
          spans.push({ from, to: Date.now(), event: f.event, kind: f.kind })
          report.frames++
          report.byKind[f.kind]++
          const why = judgeAck(ack)
          if (why) report.failures.push(`#${n} ${f.kind} ${f.event}: ${why}`)
          if (typeof ack !== 'string' && ack?.ok) {
            report.accepted++
            if (!READ_ONLY_EVENTS.has(f.event)) refusedOnly = false
          } else if (typeof ack !== 'string') {
            const code = (ack as { error?: { code?: string } }).error?.code ?? '?'
            report.codes[code] = (report.codes[code] ?? 0) + 1
          }
          if (o.stopOnFailure && (report.failures.length || child.onError.length)) return
        }
      }
      await Promise.all(Array.from({ length: HOSTILE_CONCURRENCY }, worker))
      if (before && refusedOnly && !died) {
        report.digestWindows++
        const after = await child.request<Record<string, string>>('digest')
        const changed = Object.keys(after).filter((t) => after[t] !== before[t])
        if (changed.length) report.digestChanged.push(`frames ${index}..${index + frames.length - 1}: ${changed.join(', ')}`)
      }
    }
    for (const f of edgeFrames(world, o.seed, o.frames, DIGEST_WINDOW)) {
      window.push(f)
      if (window.length === DIGEST_WINDOW) {
        await flush(i)
        i += DIGEST_WINDOW
        if (!report.memory.warm && i >= warmupFrames(o.frames, DIGEST_WINDOW) && !died) report.memory.warm = await child.request<ServerMemory>('rss')
        if (MEMORY_SAMPLE_EVERY && i % MEMORY_SAMPLE_EVERY === 0 && !died) report.memory.samples.push({ frame: i, memory: await child.request<ServerMemory>('rss') })
      }
      if (died || (o.stopOnFailure && (report.failures.length || child.onError.length))) break
    }
    if (window.length && !died) await flush(i)
    const pings = await pinger.stop()
    if (!died) report.serverCpuMs = (await child.request<number>('cpu')) - cpuStart
    report.fuzzMs = Date.now() - fuzzStart
    // Only requests made while a hostile frame was in flight count (spans are in send order).
    const latencies: number[] = []
    let k = 0
    for (const [at, ms, okAck] of pings.sort((x, y) => x[0] - y[0])) {
      while (k < spans.length && spans[k]!.to < at) k++
      const behind = spans.slice(k, k + HOSTILE_CONCURRENCY * 2).filter((sp) => sp.from <= at + ms && sp.to >= at)
      if (!behind.length) continue
      latencies.push(ms)
      if (!report.slowest || ms > report.slowest.ms) report.slowest = { event: behind.map((b) => b.event).join('+'), kind: behind[0]!.kind, ms }
      if (!okAck) report.failures.push(`honest request failed behind ${behind.map((b) => b.event).join('+')}`)
    }
    report.honestRequests = latencies.length
    const sorted = [...latencies].sort((x, y) => x - y)
    report.honestMaxMs = sorted[sorted.length - 1] ?? 0
    report.honestP99Ms = percentile(sorted, 99)
    if (!died) {
      report.memory.final = await child.request<ServerMemory>('rss')
      report.rssFinal = report.memory.final.rss
    }
  } catch (e) {
    if (!died) report.failures.push(`harness: ${String(e)}`)
  } finally {
    for (const s of sockets) s.close()
    killPinger?.()
    await new Promise((r) => setTimeout(r, 100)) // let a seeded late crash surface
    report.died = died
    await child.stop()
    report.durationMs = Date.now() - started
  }
  return report
}

async function reconnectHostile(url: string, mallory: TestUser, sockets: RawSocket[]): Promise<{ socket: RawSocket }> {
  const socket = await connect(url, mallory.userId)
  sockets.push(socket)
  const device = mallory.devices[0]!
  const { nonce } = await ok(socket, 'hello.challenge', {})
  await ok(socket, 'hello', { versions: [2], deviceId: device.deviceId, proof: { nonce, signature: signHelloProof(device, { nonce, userId: mallory.userId, deviceId: device.deviceId }) } })
  return { socket }
}

/** One line per figure, for the CI log. */
export function describeReport(r: EdgeReport): string {
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1)
  return [
    `edge fuzzer [${r.policy}] seed=${r.seed} frames=${r.frames} (valid ${r.byKind.valid}, random ${r.byKind.random}, mutant ${r.byKind.mutant}, oversized ${r.byKind.oversized}) accepted=${r.accepted} in ${(r.durationMs / 1000).toFixed(1)} s`,
    `  frames took ${(r.fuzzMs / 1000).toFixed(1)} s wall, ${(r.serverCpuMs / 1000).toFixed(1)} s server CPU (${(r.serverCpuMs / Math.max(1, r.frames)).toFixed(2)} ms a frame)`,
    `  codes: ${Object.entries(r.codes).sort((a, b) => b[1] - a[1]).map(([c, n]) => `${c}=${n}`).join(' ')}`,
    `  honest conversation.list (${r.honestRequests} made during hostile frames, from another process): max ${r.honestMaxMs} ms, p99 ${r.honestP99Ms} ms (slowest behind ${r.slowest?.kind} ${r.slowest?.event})`,
    `  RSS after forced GC: baseline ${mb(r.rssBaseline)} MB, after the burst (acked in ${(r.burstMs / 1000).toFixed(1)} s) ${mb(r.rssAfterBurst)} MB, final ${mb(r.rssFinal)} MB (growth ${mb(r.rssFinal - r.rssBaseline)} MB; after warm-up ${r.memory.warm ? mb(r.rssFinal - r.memory.warm.rss) : '?'} MB; JS-retained ${r.memory.final && r.memory.baseline ? mb(jsRetainedGrowth(r.memory.baseline, r.memory.final)) : '?'} MB; PGlite WASM ${r.memory.final && r.memory.baseline ? mb(r.memory.final.wasm - r.memory.baseline.wasm) : '?'} MB)`,
    ...(['baseline', 'afterBurst', 'warm', 'final'] as const).map((k) => `  memory ${k}: ${describeMemory(r.memory[k])}`),
    ...r.memory.samples.map((s) => `  memory at frame ${s.frame}: ${describeMemory(s.memory)}`),
    `  store digest compared over ${r.digestWindows} windows of refused frames; changed: ${r.digestChanged.length}; failures: ${r.failures.length}; onError: ${r.onError.length}${r.died ? `; DIED: ${r.died.slice(0, 200)}` : ''}`,
  ].join('\n')
}
