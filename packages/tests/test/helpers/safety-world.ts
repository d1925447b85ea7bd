/**
 * The world of the safety-controls conformance suite (issue 15, part A): a real server in one
 * mode on a real store (PGlite, or a fresh PostgreSQL database that is dropped afterwards) with
 * a `canMessage` rule the test can change, real clients (memory key stores; a second device is
 * linked with a one-time code), and raw sockets acting as a registered device of a client.
 */
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'
import pino from 'pino'
import pg from 'pg'
import { io as ioClient, type Socket } from 'socket.io-client'
import {
  SUPPORTED_PROTOCOL_VERSIONS, type AckResponse, type CanMessageDecision, type Policy, type ServerEventName, type VerifiedReport,
} from '@parley/protocol'
import { PGlite } from '@electric-sql/pglite'
import { createParleyServer, migrate, pgliteDriver, pgliteStore, postgresStore, type ParleyServer, type ParleyStore } from '@parley/server'
import { memoryKeyStore, requestDeviceLink, type Conversation, type KeyStore, type ParleyClient } from '@parley/client'
import { signHelloProof, type DeviceIdentity } from '@parley/crypto'
import { connect, waitFor } from './parley.js'
import { MODES, type ModeCase } from './moderation-world.js'
import { freshDatabase } from '../../../server/test/helpers/postgres.js'

/** One policy the suite runs in, and the mode its conversations then have. */
export type SafetyMode = ModeCase

/** The three policies; under optional-e2ee each conversation is upgraded, so E2EE is covered from both starts. */
export const SAFETY_MODES: readonly SafetyMode[] = MODES
  .filter((m) => m.name !== 'optional-e2ee before upgrade')
  .map((m) => (m.policy === 'optional-e2ee' ? { ...m, name: 'optional-e2ee (upgraded)' } : m))

/** PostgreSQL from DATABASE_URL (as the server tests): unreachable → skipped with a printed reason, except under CI=true. */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

export async function postgresUp(what: string): Promise<boolean> {
  if (process.env.CI === 'true') return true
  const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 })
  try {
    await c.connect()
    return true
  } catch (e) {
    console.warn(`PostgreSQL unreachable at ${DATABASE_URL} (${(e as Error).message}): skipping ${what} on PostgreSQL`)
    return false
  } finally {
    await c.end().catch(() => undefined)
  }
}

/** A store and how to dispose of it. */
export interface StoreCase {
  name: 'pglite' | 'postgres'
  open(): Promise<{ store: ParleyStore; dispose(): Promise<void> }>
}

let template: Promise<Blob> | undefined

/** A migrated empty PGlite, dumped once per run: a cold `PGlite.create()` costs seconds and ~750 MB. */
function pgliteTemplate(): Promise<Blob> {
  template ??= (async () => {
    const db = await PGlite.create()
    await migrate(pgliteDriver(db))
    const blob = await db.dumpDataDir('none')
    await db.close()
    return blob
  })()
  return template
}

export const PGLITE: StoreCase = {
  name: 'pglite',
  async open() {
    return { store: await pgliteStore({ loadDataDir: await pgliteTemplate() }), dispose: async () => {} }
  },
}

export const POSTGRES: StoreCase = {
  name: 'postgres',
  async open() {
    const db = await freshDatabase()
    return { store: await postgresStore({ connectionString: db.url }), dispose: db.drop }
  },
}

/** A raw socket.io connection acting as the registered device of a client (proves its signing key). */
export interface RawSocket {
  request<T = unknown>(event: string, frame: unknown): Promise<AckResponse<T>>
  /** Every frame of `event` this socket received so far. */
  received(event: ServerEventName): unknown[]
  close(): void
}

export interface SafetyWorld {
  url: string
  parley: ParleyServer
  reports: VerifiedReport[]
  /** `canMessage` answers `rules.get('from>to')`, else 'allow'. */
  rules: Map<string, CanMessageDecision>
  clients: Record<string, ParleyClient>
  keyStores: Record<string, KeyStore>
  /** Connects a user with a fresh key store. */
  add(userId: string): Promise<ParleyClient>
  /** Links a second device of `userId` (a one-time code from the first one). */
  link(userId: string): Promise<ParleyClient>
  /** `a` opens a conversation with `b` (upgraded when the mode says so); `b`'s side once it knows it. */
  open(a: string, b: string): Promise<[Conversation, Conversation]>
  raw(userId: string): Promise<RawSocket>
  close(): Promise<void>
}

export async function startSafetyWorld(mode: SafetyMode, storeCase: StoreCase): Promise<SafetyWorld> {
  const { store, dispose } = await storeCase.open()
  const http = createServer()
  const reports: VerifiedReport[] = []
  const rules = new Map<string, CanMessageDecision>()
  const parley = createParleyServer({
    httpServer: http,
    policy: mode.policy,
    store,
    authenticate: (handshake) => {
      const token = (handshake.auth as { token?: unknown }).token
      if (typeof token !== 'string' || token.length === 0) throw new Error('no token')
      return { userId: token }
    },
    canMessage: (from, to) => rules.get(`${from}>${to}`) ?? 'allow',
    onReport: (r) => void reports.push(r),
    logger: pino({ level: 'silent' }),
    limits: {
      connection: { capacity: 100_000, refillPerSecond: 100_000 },
      user: { capacity: 100_000, refillPerSecond: 100_000 },
      reports: { capacity: 1_000, refillPerSecond: 1_000 },
    },
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  const clients: Record<string, ParleyClient> = {}
  const keyStores: Record<string, KeyStore> = {}
  const extra: ParleyClient[] = []
  const sockets: Socket[] = []

  const world: SafetyWorld = {
    url, parley, reports, rules, clients, keyStores,
    async add(userId) {
      const keyStore = memoryKeyStore()
      const client = await connect(url, userId, { keyStore })
      clients[userId] = client
      keyStores[userId] = keyStore
      return client
    },
    async link(userId) {
      const link = await requestDeviceLink({ deliveryReceipts: false, url, token: userId, keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 } })
      await clients[userId]!.linkDevice(link.code)
      const client = await link.client
      extra.push(client)
      await client.whenReady()
      return client
    },
    async open(a, b) {
      const ca = await clients[a]!.conversations.open(b)
      if (mode.upgrade) await ca.upgradeToE2EE()
      await waitFor(() => clients[b]!.conversations.get(ca.id) !== undefined, 10_000, `${b} learns the conversation`)
      const cb = clients[b]!.conversations.get(ca.id)!
      await waitFor(() => cb.encryption === mode.conversation, 10_000, `${b} pins ${mode.conversation}`)
      if (ca.encryption !== mode.conversation) throw new Error(`conversation is ${ca.encryption}, expected ${mode.conversation}`)
      return [ca, cb]
    },
    async raw(userId) {
      const self = (await keyStores[userId]!.get('self')) as unknown as { deviceId: string; device: DeviceIdentity }
      const socket: Socket = ioClient(url, { auth: { token: userId }, transports: ['websocket'], reconnection: false, forceNew: true })
      sockets.push(socket)
      const frames = new Map<string, unknown[]>()
      socket.onAny((event: string, frame: unknown) => void frames.set(event, [...(frames.get(event) ?? []), frame]))
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve())
        socket.once('connect_error', reject)
      })
      const request = <T>(event: string, frame: unknown) => socket.timeout(10_000).emitWithAck(event, frame) as Promise<AckResponse<T>>
      const challenge = await request<{ nonce: string }>('hello.challenge', {})
      if (!challenge.ok) throw new Error('raw socket: no challenge')
      const { nonce } = challenge.data
      const proof = { nonce, signature: signHelloProof(self.device, { nonce, userId, deviceId: self.deviceId }) }
      const hello = await request<{ registered: boolean }>('hello', { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId: self.deviceId, proof })
      if (!hello.ok || !hello.data.registered) throw new Error(`raw socket of ${userId} did not attach`)
      return { request, received: (event) => frames.get(event) ?? [], close: () => void socket.disconnect() }
    },
    async close() {
      for (const s of sockets) s.disconnect()
      for (const c of [...extra, ...Object.values(clients)]) await c.close().catch(() => {})
      await parley.close()
      await new Promise<void>((r) => http.close(() => r()))
      await dispose()
    },
  }
  return world
}
