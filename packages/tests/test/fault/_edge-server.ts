/**
 * The edge fuzzer's server: Parley on PGlite in its own process (run with `--expose-gc`), so
 * a crash, an unhandled rejection or memory growth is the server's alone and visible from the
 * outside. Config is JSON in argv[2]; prints `PARLEY_READY <port>`. Over IPC it answers
 * `{ type: 'rss' }` (RSS after two forced GCs), `{ type: 'checkpoint' }` and `{ type: 'digest' }` (a hash of every row
 * of every table a frame may write, rate-limit buckets excepted), and forwards each `onError`.
 *
 * `fault` seeds a known bug so a test can prove the harness catches it: `internal` makes
 * `store.history` throw a plain error (an `internal` ack), `crash` makes `store.ackInbox` throw
 * outside any promise (an uncaught exception), `unhandled` leaves a rejected promise unobserved,
 * `leak` keeps every frame a socket receives and a `LEAK_BYTES` buffer beside it (memory that
 * grows with every frame and is never freed).
 * Run with: node --expose-gc --conditions=@parley/source --import tsx _edge-server.ts '<json>'
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { PGlite } from '@electric-sql/pglite'
import { Server } from 'socket.io'
import { MAX_FRAME_BYTES, ParleyError, type Policy } from '@parley/protocol'
import { createParleyServer, parleyParser, pgliteStore, PGLITE_SHARED_BUFFERS_MB, type ParleyStore } from '@parley/server'
import { residentParts, type ResidentParts } from './_proc-memory.js'
import { pgliteTemplate } from '../../../server/test/helpers/pglite.js'

/** The seeded bugs (see the file comment). */
export type EdgeFault = 'none' | 'internal' | 'crash' | 'unhandled' | 'leak'

/** What the `leak` fault keeps per frame besides the frame, bytes. */
export const LEAK_BYTES = 128 * 1024

export interface EdgeServerConfig {
  policy: Policy
  fault?: EdgeFault
  /**
   * Data directory (as in production): stored rows live on disk, so RSS measures the server's
   * working set, not the data an in-memory database would hold.
   */
  dataDir: string
}

/**
 * The server's memory after forced GC, bytes: `process.memoryUsage()` and the size of PGlite's
 * WASM linear memory (`wasm`, which grows and never shrinks; V8 counts it in neither `external`
 * nor `arrayBuffers`, measured: 128 MB of WASM beside 15.6 and 50.6 MB).
 */
export interface ServerMemory {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
  wasm: number
  /** Resident memory by kind of mapping (Linux only). */
  parts: ResidentParts
}

/** Every table a client frame can write. `token_buckets` is left out: a refused frame may spend tokens. */
export const DIGEST_TABLES = [
  'users', 'devices', 'one_time_prekeys', 'conversations', 'conversation_members', 'messages', 'inbox', 'notices', 'reports',
  'link_requests', 'blocks', 'mutes', 'message_requests', 'withheld',
] as const

/**
 * What is hashed of a row. A message's body and attachments (megabytes after a burst) count by
 * their stored size (`pg_column_size` reads no data): rows are never edited in place, only
 * deleted (body dropped, `deleted` set), which the sizes and the flag show.
 */
const ROW_TEXT: Partial<Record<(typeof DIGEST_TABLES)[number], string>> = {
  messages: `concat_ws('|', t.id, t.conversation_id, t.seq, t.ts, t.kind, t.sender_user, t.sender_device, t.client_message_id, t.mode,
    t.body_kid, pg_column_size(t.body), pg_column_size(t.attachments), t.franking::text, t.mode_change::text, t.deleted, t.expires_at)`,
}

function withFault(store: ParleyStore, fault: EdgeFault): ParleyStore {
  if (fault === 'none') return store
  return new Proxy(store, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown
      if (fault === 'internal' && key === 'history') return () => Promise.reject(new TypeError('seeded bug: history'))
      if (fault === 'crash' && key === 'ackInbox') {
        return () => {
          setImmediate(() => {
            throw new Error('seeded crash: ackInbox')
          })
          return new Promise(() => undefined)
        }
      }
      if (fault === 'unhandled' && key === 'ackInbox') {
        return () => {
          void Promise.reject(new Error('seeded unhandled rejection')).then(() => undefined)
          return Promise.resolve()
        }
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value
    },
  })
}

/** engine.io's pong timeout here, ms (default 20 s). */
const HEARTBEAT_TIMEOUT_MS = 120_000

const config = JSON.parse(process.argv[2] ?? '{}') as EdgeServerConfig
const db = await PGlite.create({
  dataDir: config.dataDir,
  loadDataDir: await pgliteTemplate(),
  startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${PGLITE_SHARED_BUFFERS_MB}MB`],
})
// No fsync per commit: this measures the edge, not the disk (the store's default is 'fsync').
const store = withFault(await pgliteStore({ pglite: db, durability: 'os' }), config.fault ?? 'none')
const httpServer = createServer()
// A heartbeat the loaded CI machine cannot miss while the burst of large sends is written: a
// dropped connection there would be the machine's doing, not the edge's.
const io = new Server(httpServer, { maxHttpBufferSize: MAX_FRAME_BYTES, parser: parleyParser, pingTimeout: HEARTBEAT_TIMEOUT_MS })
const send = (m: unknown) => void process.send?.(m)
const parley = createParleyServer({
  io, policy: config.policy, store,
  authenticate: (hs) => {
    const token = (hs.auth as { token?: unknown }).token
    if (typeof token !== 'string' || !token) throw new Error('no token')
    return { userId: token }
  },
  logger: pino({ level: 'silent' }),
  // No purge during the run: the fuzzer's frames set 1-second disappearing timers, and a purge
  // landing inside a window of refused frames would change the store digest that window checks.
  retention: { purgeIntervalMs: 2 ** 31 - 1 },
  // Frame limits out of the way, so hostile frames reach the handlers; the signature budget stays at its default.
  limits: { connection: { capacity: 1e6, refillPerSecond: 1e6 }, user: { capacity: 1e6, refillPerSecond: 1e6 } },
  onError: (e, context) => send({ type: 'onError', where: context.where, event: context.event, code: ParleyError.isInstance(e) ? e.code : 'internal', message: String((e as Error)?.message ?? e).slice(0, 200) }),
})
await parley.ready
if (config.fault === 'leak') {
  const kept: unknown[] = []
  io.on('connection', (socket) => socket.onAny((event: string, frame: unknown) => void kept.push([event, frame, Buffer.alloc(LEAK_BYTES, 1)])))
}

async function digest(): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const table of DIGEST_TABLES) {
    const rows = await db.query<{ n: number; h: string | null }>(
      `SELECT count(*)::int AS n, md5(string_agg(r, '' ORDER BY r)) AS h FROM (SELECT md5(${ROW_TEXT[table] ?? 't::text'}) AS r FROM ${table} t) x`,
    )
    out[table] = `${rows.rows[0]!.n}:${rows.rows[0]!.h ?? ''}`
  }
  return out
}

/** The server's memory now (see `ServerMemory`). */
function memory(): ServerMemory {
  const u = process.memoryUsage()
  return { rss: u.rss, heapUsed: u.heapUsed, heapTotal: u.heapTotal, external: u.external, arrayBuffers: u.arrayBuffers, wasm: db.Module.HEAPU8.byteLength, parts: residentParts() }
}

process.on('message', (m: { type: string; id: number }) => {
  void (async () => {
    if (m.type === 'rss') {
      const gc = (globalThis as { gc?: () => void }).gc
      if (!gc) return send({ type: 'rss', id: m.id, error: 'run with --expose-gc' })
      gc()
      await new Promise((r) => setTimeout(r, 50))
      gc()
      send({ type: 'rss', id: m.id, rss: memory() })
    } else if (m.type === 'cpu') {
      const u = process.cpuUsage()
      send({ type: 'cpu', id: m.id, cpu: (u.user + u.system) / 1000 })
    } else if (m.type === 'checkpoint') {
      // Writes the burst's WAL to the data files now, not in the middle of the measured frames.
      await db.query('CHECKPOINT')
      send({ type: 'checkpoint', id: m.id, done: true })
    } else if (m.type === 'digest') {
      send({ type: 'digest', id: m.id, digest: await digest() })
    }
  })().catch((e: unknown) => send({ type: m.type, id: m.id, error: String(e) }))
})
process.on('SIGTERM', () => {
  void parley.close().then(() => io.close()).then(() => process.exit(0))
})
httpServer.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PARLEY_READY ${(httpServer.address() as AddressInfo).port}\n`)
})
