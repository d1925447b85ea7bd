/**
 * One Parley server node in its own process, for the fault scenarios: PostgreSQL store,
 * optional Redis streams adapter, fixed key rings (every node must share them), token = user
 * id. Config is JSON in argv[2]; prints `PARLEY_READY <port>` once listening.
 * Spawned through `_node.ts` (bundled with esbuild first).
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import type { Policy } from '@parley/protocol'
import pg from 'pg'
import { createParleyServer, postgresDriver, postgresStore, sqlStore } from '@parley/server'
import { diskFullDriver } from './_disk-full.js'

export interface NodeConfig {
  policy: Policy
  databaseUrl: string
  redisUrl?: string
  streamName?: string
  /** Wrap the driver so writes fail like a full disk while the parent says so (IPC `disk-full` / `disk-freed`). */
  diskFull?: boolean
}

/** Fixed test key rings (32 bytes each), the same on every node. */
export const nodeKeys = () => ({
  frankingKeys: { currentKid: 'fk1', keys: { fk1: new Uint8Array(32).fill(0x11) } },
  dataKeys: { currentKid: 'dk1', keys: { dk1: new Uint8Array(32).fill(0x22) } },
})

const config = JSON.parse(process.argv[2] ?? '{}') as NodeConfig
let full = false
const store = config.diskFull
  ? (() => {
      const pool = new pg.Pool({ connectionString: config.databaseUrl })
      pool.on('error', () => undefined)
      const driver = diskFullDriver(postgresDriver(pool, true), () => full)
      process.on('message', (m) => {
        if (m !== 'disk-full' && m !== 'disk-freed') return
        full = m === 'disk-full'
        process.send?.({ full, failures: driver.failures() })
      })
      return sqlStore(driver)
    })()
  : postgresStore({ connectionString: config.databaseUrl })
const httpServer = createServer()
const parley = createParleyServer({
  httpServer,
  policy: config.policy,
  store,
  authenticate: (h) => {
    const token = (h.auth as { token?: unknown }).token
    if (typeof token !== 'string' || token.length === 0) throw new Error('no token')
    return { userId: token }
  },
  ...nodeKeys(),
  logger: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }),
  limits: { connection: { capacity: 100_000, refillPerSecond: 100_000 }, user: { capacity: 100_000, refillPerSecond: 100_000 } },
  ...(config.redisUrl ? { redis: { url: config.redisUrl, streamName: config.streamName } } : {}),
})
await parley.ready
httpServer.listen(0, '127.0.0.1', () => {
  process.stdout.write(`PARLEY_READY ${(httpServer.address() as AddressInfo).port}\n`)
})
// The soak asks for memory figures after a forced GC (the parent spawns with --expose-gc).
process.on('message', (m) => {
  if (m !== 'mem') return
  ;(globalThis as { gc?: () => void }).gc?.()
  const { rss, heapUsed } = process.memoryUsage()
  process.send?.({ rss, heapUsed })
})
process.on('SIGTERM', () => void parley.close().then(() => process.exit(0)))
