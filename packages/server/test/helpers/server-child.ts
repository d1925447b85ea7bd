/**
 * A Parley server in its own process, for kill, restart and multi-node tests. Config comes as
 * JSON in argv[2]; prints `PARLEY_READY <port>` once listening. SIGTERM closes gracefully.
 * Run with: node --conditions=@parley/source --import tsx server-child.ts '<json>'
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import pino from 'pino'
import { Server } from 'socket.io'
import type { Policy } from '@parley/protocol'
import { createParleyServer } from '../../src/create-server.js'
import { memoryStore } from '../../src/store/memory-store.js'
import { pgliteStore } from '../../src/store/pglite-store.js'
import { postgresStore } from '../../src/store/postgres-store.js'
import { testAuthenticate, testKeys } from './server.js'

/** What a child server runs with. */
export interface ChildConfig {
  store: 'memory' | 'pglite' | 'postgres'
  dataDir?: string
  databaseUrl?: string
  policy?: Policy
  redisUrl?: string
  streamName?: string
  port?: number
  durability?: 'fsync' | 'os'
  /** Mount Parley on its own `httpServer` (default) or on the integrator's socket.io server (`io`). */
  mount?: 'httpServer' | 'io'
}

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig
const store =
  config.store === 'pglite' ? pgliteStore({ dataDir: config.dataDir, ...(config.durability ? { durability: config.durability } : {}) })
  : config.store === 'postgres' ? postgresStore({ connectionString: config.databaseUrl! })
  : memoryStore()
const httpServer = createServer()
const io = config.mount === 'io' ? new Server(httpServer) : undefined
const parley = createParleyServer({
  ...(io ? { io } : { httpServer }), policy: config.policy ?? 'server-side', store, authenticate: testAuthenticate, ...testKeys(),
  logger: pino({ level: process.env.PARLEY_TEST_LOG ?? 'silent' }),
  limits: { connection: { capacity: 100_000, refillPerSecond: 100_000 }, user: { capacity: 100_000, refillPerSecond: 100_000 } },
  ...(config.redisUrl ? { redis: { url: config.redisUrl, streamName: config.streamName } } : {}),
})
await parley.ready
httpServer.listen(config.port ?? 0, '127.0.0.1', () => {
  process.stdout.write(`PARLEY_READY ${(httpServer.address() as AddressInfo).port}\n`)
})
process.on('SIGTERM', () => {
  void parley.close().then(() => process.exit(0))
})
