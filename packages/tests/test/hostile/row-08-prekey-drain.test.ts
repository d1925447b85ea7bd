/**
 * Issue 12, row 8: a user calls `keys.fetch` on another user in a loop, reconnecting between
 * batches (and hopping between server nodes), to drain every one-time X25519 and ML-KEM prekey.
 * Defence: `keys.fetch` is limited per requester→target and per requester in the store's token
 * buckets (`ParleyStore.takeTokens`), so the limit holds across reconnects and nodes; a refusal
 * is `RateLimitedError` (`rate_limited`, scope `keys.fetch`, `retryAfterMs`).
 * Raw socket.io clients against two real servers sharing one store (memory, then PGlite).
 */
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { afterEach, describe, expect, it } from 'vitest'
import pino from 'pino'
import { io as ioClient, type Socket } from 'socket.io-client'
import { PGlite } from '@electric-sql/pglite'
import { SUPPORTED_PROTOCOL_VERSIONS } from '@parley/protocol'
import pg from 'pg'
import { dropDatabase } from '../../../server/test/helpers/postgres.js'
import { generateDeviceIdentity, generatePreKeys, generateUserIdentity, signDeviceList, signHelloProof } from '@parley/crypto'
import {
  createParleyServer, DEFAULT_KEYS_FETCH_LIMIT, DEFAULT_KEYS_FETCH_PER_TARGET_LIMIT, memoryStore, pgliteStore, postgresStore,
  type ParleyServer, type ParleyStore,
} from '@parley/server'

interface Node {
  url: string
  parley: ParleyServer
  close(): Promise<void>
}

/** One server node on `store` (several nodes may share it; only the last closes it). */
async function startNode(store: ParleyStore): Promise<Node> {
  const http = createServer()
  const parley = createParleyServer({
    httpServer: http, policy: 'default-e2ee', store,
    authenticate: (hs) => ({ userId: String((hs.auth as { token?: unknown }).token) }),
    logger: pino({ level: 'silent' }),
    // Per-connection and per-node frame limits out of the way: only the keys.fetch limits count.
    limits: { connection: { capacity: 100_000, refillPerSecond: 100_000 }, user: { capacity: 100_000, refillPerSecond: 100_000 } },
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(http.address() as { port: number }).port}`,
    parley,
    async close() {
      await parley.close()
      await new Promise<void>((r) => http.close(() => r()))
    },
  }
}

/** A user with one device and real keys; `register` uploads `oneTime`/`kem` one-time prekeys. */
function makeUser(userId: string) {
  const identity = generateUserIdentity()
  const device = generateDeviceIdentity('d1')
  const list = signDeviceList(identity, { userId, version: 1, devices: [{ deviceId: 'd1', signingKey: device.signing.publicKey, identityKey: device.identity.publicKey }] })
  return { userId, identity, device, list }
}
type User = ReturnType<typeof makeUser>

const sockets: Socket[] = []
const closers: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  for (const c of closers.splice(0).reverse()) await c()
})

type Ack = { ok: true; data: any } | { ok: false; error: { code: string; message: string; details?: Record<string, unknown> } }

async function call(socket: Socket, event: string, frame: unknown): Promise<Ack> {
  return (await socket.timeout(10_000).emitWithAck(event, frame)) as Ack
}

/** Connects as `user` (a fresh socket.io connection), says hello and registers when needed. */
async function session(url: string, user: User, counts = { oneTime: 0, kem: 0 }): Promise<Socket> {
  const socket = ioClient(url, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { token: user.userId } })
  sockets.push(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  // A registered device proves its signing key over this connection's challenge.
  const challenge = await call(socket, 'hello.challenge', {})
  if (!challenge.ok) throw new Error(challenge.error.code)
  const nonce = challenge.data.nonce as string
  const proof = { nonce, signature: signHelloProof(user.device, { nonce, userId: user.userId, deviceId: 'd1' }) }
  const hello = await call(socket, 'hello', { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId: 'd1', proof })
  if (!hello.ok) throw new Error(hello.error.code)
  if (!hello.data.registered) {
    const batch = generatePreKeys(user.device, {
      signedPreKeyId: 1, kemLastResortId: 2_000_000_001,
      oneTimeStartId: 1, oneTimeCount: counts.oneTime, kemOneTimeStartId: 1, kemOneTimeCount: counts.kem,
    })
    const reg = await call(socket, 'device.register', {
      deviceId: 'd1', userIdentityKey: user.identity.publicKey, signingKey: user.device.signing.publicKey,
      identityKey: user.device.identity.publicKey, deviceList: user.list,
      signedPreKey: batch.public.signedPreKey, kemLastResortPreKey: batch.public.kemLastResortPreKey,
      oneTimePreKeys: batch.public.oneTimePreKeys, kemOneTimePreKeys: batch.public.kemOneTimePreKeys,
    })
    if (!reg.ok) throw new Error(reg.error.code)
  }
  return socket
}

/**
 * Two nodes on one store: node B gets a store view whose close() is a no-op (A closes it),
 * or its own store on the same database (`storeB`: two PostgreSQL pools, as two processes).
 */
async function twoNodes(store: ParleyStore, storeB?: ParleyStore): Promise<[Node, Node]> {
  const a = await startNode(store)
  closers.push(() => a.close())
  const b = await startNode(storeB ?? { ...store, close: async () => undefined })
  closers.push(() => b.close())
  return [a, b]
}

/** PostgreSQL from DATABASE_URL (as the server tests): unreachable → skipped with a reason, except under CI=true. */
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
async function postgresUp(): Promise<boolean> {
  if (process.env.CI === 'true') return true
  const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 })
  try {
    await c.connect()
    return true
  } catch (e) {
    console.warn(`PostgreSQL unreachable at ${DATABASE_URL} (${(e as Error).message}): skipping the PostgreSQL row-8 test`)
    return false
  } finally {
    await c.end().catch(() => undefined)
  }
}
const pgUp = await postgresUp()

/** A fresh database on DATABASE_URL, dropped after the test. */
async function freshDatabaseUrl(): Promise<string> {
  const name = `parley_row8_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  closers.unshift(() => dropDatabase(name)) // waits for the pools' backends to go first
  const url = new URL(DATABASE_URL)
  url.pathname = `/${name}`
  return url.toString()
}

/** Client batch sizes (`ONE_TIME_PREKEY_BATCH`, `KEM_ONE_TIME_PREKEY_BATCH`). */
const VICTIM_KEYS = { oneTime: 50, kem: 25 }
const BATCH = 3

/**
 * The drain loop: `attempts` fetches of `victim` in batches of {@link BATCH}, a new connection
 * per batch, alternating between the nodes. Returns what each fetch got.
 */
async function drain(nodes: Node[], attacker: User, victim: string, attempts: number) {
  const results: { node: number; ack: Ack }[] = []
  for (let i = 0; i < attempts; i += BATCH) {
    const node = (i / BATCH) % nodes.length
    const socket = await session(nodes[node]!.url, attacker)
    for (let j = i; j < Math.min(attempts, i + BATCH); j++) results.push({ node, ack: await call(socket, 'keys.fetch', { userId: victim }) })
    socket.close()
  }
  return results
}

async function scenarioPerTarget(store: ParleyStore, storeB?: ParleyStore): Promise<void> {
  const nodes = await twoNodes(store, storeB)
  const victim = makeUser('victim')
  const attacker = makeUser('mallory')
  ;(await session(nodes[0].url, victim, VICTIM_KEYS)).close()
  const attempts = DEFAULT_KEYS_FETCH_PER_TARGET_LIMIT.capacity + 8
  const results = await drain(nodes, attacker, victim.userId, attempts)
  const granted = results.filter((r) => r.ack.ok)
  const refused = results.filter((r) => !r.ack.ok)

  // Control: the attack path works — the first fetches, on both nodes and across reconnects,
  // each hand out a fresh one-time X25519 and ML-KEM prekey.
  expect(granted).toHaveLength(DEFAULT_KEYS_FETCH_PER_TARGET_LIMIT.capacity)
  expect(results.slice(0, granted.length).every((r) => r.ack.ok)).toBe(true)
  const bundles = granted.map((r) => (r.ack as { data: any }).data.bundles[0])
  expect(new Set(bundles.map((b) => b.oneTimePreKey?.id)).size).toBe(granted.length)
  expect(bundles.every((b) => b.oneTimePreKey && b.kemPreKeyIsLastResort === false)).toBe(true)
  expect(new Set(granted.map((r) => r.node))).toEqual(new Set([0, 1]))

  // Safe outcome: every later fetch, on either node, after reconnecting, is refused with a
  // typed error carrying the wait; the victim keeps the rest of its one-time prekeys.
  expect(refused).toHaveLength(attempts - granted.length)
  expect(new Set(refused.map((r) => r.node))).toEqual(new Set([0, 1]))
  for (const r of refused) {
    const error = (r.ack as { error: { code: string; details?: Record<string, unknown> } }).error
    expect(error.code).toBe('rate_limited')
    expect(error.details).toMatchObject({ scope: 'keys.fetch' })
    expect(error.details!.retryAfterMs).toBeGreaterThan(0)
  }
  expect(await nodes[1].parley.store().countPreKeys(victim.userId, 'd1')).toEqual({
    oneTimePreKeys: VICTIM_KEYS.oneTime - granted.length, kemOneTimePreKeys: VICTIM_KEYS.kem - granted.length,
  })

  // The limit is per requester→target: another user still reaches the victim.
  const friend = makeUser('friend')
  const s = await session(nodes[1].url, friend)
  const ok = await call(s, 'keys.fetch', { userId: victim.userId })
  expect(ok.ok && ok.data.bundles[0].oneTimePreKey).toBeTruthy()
}

async function scenarioPerRequester(store: ParleyStore): Promise<void> {
  const nodes = await twoNodes(store)
  const per = DEFAULT_KEYS_FETCH_PER_TARGET_LIMIT.capacity
  // Enough victims that the per-requester bucket, not a per-target one, runs out first.
  const victims = Array.from({ length: Math.ceil(DEFAULT_KEYS_FETCH_LIMIT.capacity / per) + 1 }, (_, i) => makeUser(`victim-${i}`))
  for (const v of victims) (await session(nodes[0].url, v, { oneTime: per, kem: 1 })).close()
  const attacker = makeUser('mallory')
  const results: Ack[] = []
  for (const [i, v] of victims.entries()) {
    const r = await drain([nodes[i % 2]!, nodes[(i + 1) % 2]!], attacker, v.userId, per)
    results.push(...r.map((x) => x.ack))
  }
  const granted = results.filter((r) => r.ok)
  // Control: fetches succeed on both nodes until the requester's whole budget is spent…
  expect(granted).toHaveLength(DEFAULT_KEYS_FETCH_LIMIT.capacity)
  expect(results.slice(0, granted.length).every((r) => r.ok)).toBe(true)
  // …then even a target this requester never fetched is refused (per-requester bucket).
  const last = victims[victims.length - 1]!
  const fresh = await call(await session(nodes[1].url, attacker), 'keys.fetch', { userId: last.userId })
  expect(fresh.ok).toBe(false)
  expect(!fresh.ok && fresh.error.code).toBe('rate_limited')
  expect(await nodes[0].parley.store().countPreKeys(last.userId, 'd1')).toEqual({ oneTimePreKeys: per, kemOneTimePreKeys: 1 })
}

describe('row 8: draining one-time prekeys with keys.fetch, reconnecting between batches', () => {
  it('memory store shared by two nodes: per requester→target limit holds across reconnects and nodes', async () => {
    await scenarioPerTarget(memoryStore())
  }, 60_000)

  it('PGlite store shared by two nodes: per requester→target limit holds across reconnects and nodes', async () => {
    await scenarioPerTarget(await pgliteStore({ pglite: await PGlite.create() }))
  }, 120_000)

  it.skipIf(!pgUp)('PostgreSQL, two nodes each with its own pool on one database: per requester→target limit holds across reconnects and nodes', async () => {
    const url = await freshDatabaseUrl()
    await scenarioPerTarget(await postgresStore({ connectionString: url }), await postgresStore({ connectionString: url }))
  }, 120_000)

  it('memory store shared by two nodes: per requester limit across targets', async () => {
    await scenarioPerRequester(memoryStore())
  }, 120_000)
})
