/**
 * The server side of the relay benchmark, in its own process so its RSS and CPU are measured
 * alone: a raw socket.io relay (forward + ack, stores nothing), the naive durable relay (what
 * an integrator writes by hand: socket.io + a `pg` Pool of 10, one INSERT per message, ack
 * after its commit, then forward) or Parley on PGlite/PostgreSQL.
 * argv[2] is JSON config; prints `READY <port>`; answers IPC `rss` with its RSS in bytes.
 */
import { writeFileSync } from 'node:fs'
import { createServer } from 'node:http'
import { Session } from 'node:inspector/promises'
import type { AddressInfo } from 'node:net'
import pg from 'pg'
import pino from 'pino'
import { Server } from 'socket.io'
import { MAX_FRAME_BYTES, type Policy } from '@parley/protocol'
import { createParleyServer, memoryStore, pgliteStore, postgresStore } from '@parley/server'

export interface RelayServerConfig {
  kind: 'raw' | 'naive' | 'parley'
  policy?: Policy
  store?: 'pglite' | 'postgres' | 'memory'
  dataDir?: string
  durability?: 'fsync' | 'os'
  databaseUrl?: string
  /** Open the store (creating the PGlite data dir), close it and exit. */
  initOnly?: boolean
}

/** The naive relay's pool: pg's default size, what an afternoon's code keeps. */
const NAIVE_POOL_SIZE = 10
/**
 * engine.io's pong timeout here, ms (default 20 s), the same for every relay: with 1,000 pairs on a
 * loaded 2-core machine the bench's own client process can miss a 20 s heartbeat, and a dropped
 * connection there would be the machine's doing, not the relay's.
 */
const HEARTBEAT_TIMEOUT_MS = 120_000
const ioOptions = { maxHttpBufferSize: MAX_FRAME_BYTES, pingTimeout: HEARTBEAT_TIMEOUT_MS }
const config = JSON.parse(process.argv[2] ?? '{}') as RelayServerConfig
const http = createServer()
// keys.fetch out of the way too: the group bench's sender fetches the bundles of 49 users at once.
const limits = { connection: { capacity: 1e9, refillPerSecond: 1e9 }, user: { capacity: 1e9, refillPerSecond: 1e9 }, keysFetch: { capacity: 1e9, refillPerSecond: 1e9 }, keysFetchPerTarget: { capacity: 1e9, refillPerSecond: 1e9 }, maxConnectionsPerUser: 100 }
let parley: ReturnType<typeof createParleyServer> | undefined
if (config.initOnly) {
  await (await pgliteStore({ dataDir: config.dataDir! })).close()
  process.exit(0)
}
const commitMs: number[] = []
let cpuAtStart = process.cpuUsage()
let batchesAtStart = 0
if (config.kind === 'raw') {
  const io = new Server(http, ioOptions)
  io.on('connection', (socket) => {
    void socket.join(String(socket.handshake.auth.token))
    socket.on('send', (frame: { to: string; payload: unknown }, ack: (r: unknown) => void) => {
      io.to(frame.to).emit('msg', frame.payload)
      ack({ ok: true, data: { ts: Date.now() } })
    })
  })
} else if (config.kind === 'naive') {
  const pool = new pg.Pool({ connectionString: config.databaseUrl!, max: NAIVE_POOL_SIZE })
  await pool.query(`CREATE TABLE IF NOT EXISTS relay_messages (
    id bigserial PRIMARY KEY, sender text NOT NULL, recipient text NOT NULL, payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())`)
  const io = new Server(http, ioOptions)
  io.on('connection', (socket) => {
    const sender = String(socket.handshake.auth.token)
    void socket.join(sender)
    socket.on('send', (frame: { to: string; payload: unknown }, ack: (r: unknown) => void) => {
      pool.query('INSERT INTO relay_messages (sender, recipient, payload) VALUES ($1, $2, $3) RETURNING id', [sender, frame.to, frame.payload]).then(
        (r) => {
          io.to(frame.to).emit('msg', frame.payload)
          ack({ ok: true, data: { id: r.rows[0].id, ts: Date.now() } })
        },
        (e: unknown) => ack({ ok: false, error: { code: 'STORE', message: String(e) } }),
      )
    })
  })
} else {
  const store = config.store === 'postgres'
    ? postgresStore({ connectionString: config.databaseUrl! })
    : config.store === 'memory'
      ? Promise.resolve(memoryStore())
      : pgliteStore({ ...(config.dataDir ? { dataDir: config.dataDir } : {}), ...(config.durability ? { durability: config.durability } : {}) })
  // Times each group commit (store.appendMessages) for the report.
  const timed = store.then((st) => {
    const append = st.appendMessages.bind(st)
    st.appendMessages = async (...args) => {
      const t0 = performance.now()
      try {
        return await append(...args)
      } finally {
        commitMs.push(performance.now() - t0)
      }
    }
    return st
  })
  parley = createParleyServer({
    io: new Server(http, ioOptions), policy: config.policy ?? 'server-side', store: timed, limits, logger: pino({ level: 'silent' }),
    authenticate: (hs) => ({ userId: String(hs.auth.token) }),
    frankingKeys: { currentKid: 'f1', keys: { f1: new Uint8Array(32).fill(1) } },
    dataKeys: { currentKid: 'd1', keys: { d1: new Uint8Array(32).fill(2) } },
  })
  await parley.ready
}
http.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(http.address() as AddressInfo).port}\n`))
// RELAY_CPU_PROF=<dir>: profile only the measured load (IPC 'measure' … 'rss'), not the setup; with
// RELAY_HEAP_PROF=1 also a sampling heap profile of everything allocated meanwhile (collected or not).
const profDir = process.env.RELAY_CPU_PROF
const inspector = profDir ? new Session() : undefined
inspector?.connect()
process.on('message', (m: unknown) => {
  void (async () => {
    if (m === 'measure' && inspector) {
      await inspector.post('Profiler.enable')
      await inspector.post('Profiler.start')
      if (process.env.RELAY_HEAP_PROF) await inspector.post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true } as never)
    }
    if (m === 'measure') {
      cpuAtStart = process.cpuUsage()
      batchesAtStart = parley?.batchSizes.length ?? 0
      commitMs.length = 0
      process.send?.('measuring')
    }
    if (m !== 'rss') return
    const rss = process.memoryUsage().rss
    if (inspector) {
      if (process.env.RELAY_HEAP_PROF) {
        const { profile: heap } = await inspector.post('HeapProfiler.stopSampling')
        writeFileSync(`${profDir}/relay-${config.kind}${config.store ? `-${config.store}` : ''}-${process.pid}.heapprofile`, JSON.stringify(heap))
      }
      const { profile } = await inspector.post('Profiler.stop')
      writeFileSync(`${profDir}/relay-${config.kind}${config.store ? `-${config.store}` : ''}-${process.pid}.cpuprofile`, JSON.stringify(profile))
    }
    const cpu = process.cpuUsage(cpuAtStart)
    process.send?.({ rss, cpuMs: (cpu.user + cpu.system) / 1000, sysMs: cpu.system / 1000, avgBatch: avg(parley?.batchSizes.slice(batchesAtStart) ?? []), avgCommitMs: avg(commitMs) })
  })()
})
process.on('SIGTERM', () => void (parley ? parley.close() : Promise.resolve()).then(() => process.exit(0)))
function avg(xs: readonly number[]): number {
  return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0
}
