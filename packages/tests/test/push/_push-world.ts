/**
 * The world of `push/*.test.ts` (docs/push.md): a real server whose `onOfflineDelivery` is the
 * built-in `webPushSender` aimed at a local push endpoint (`server/test/helpers/push-endpoint.ts`:
 * payloads decrypted there independently), with every hook call recorded and a gate that can
 * hold a batch's calls; alice, bob (whose key store survives his going offline and back) and,
 * for a group, carol, in one conversation.
 */
import { createServer } from 'node:http'
import pino from 'pino'
import { Server } from 'socket.io'
import { MAX_FRAME_BYTES, type Policy } from '@parley/protocol'
import { createParleyServer, memoryStore, parleyParser, webPushSender, type OfflineDelivery, type ParleyServer } from '@parley/server'
import { memoryKeyStore, type Conversation, type KeyStore, type ParleyClient } from '@parley/client'
import { connect, waitFor } from '../helpers/parley.js'
import { startPushEndpoint, vapidKeys, type PushEndpoint } from '../../../server/test/helpers/push-endpoint.js'

export const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
export const KINDS = ['direct', 'group'] as const
export const CASES = POLICIES.flatMap((policy) => KINDS.map((kind) => ({ policy, kind })))
/** The coalescing window of the test server, ms (batches are made deterministic by the gate, not by timing). */
export const TEST_COALESCE_MS = 50

export interface Side {
  userId: string
  client: ParleyClient
  c: Conversation
  keyStore: KeyStore
}

export interface PushWorld {
  url: string
  parley: ParleyServer
  endpoint: PushEndpoint
  vapid: ReturnType<typeof vapidKeys>
  /** Every `onOfflineDelivery` call, in order (a deep copy taken at the call). */
  deliveries: OfflineDelivery[]
  /** What the server reported to `onError`. */
  errors: unknown[]
  alice: Side
  bob: Side
  carol?: Side
  /** Holds every hook call from now until `release()` (the call is recorded first). */
  hold(): void
  release(): void
  /** Resolves once no socket of `userId` is connected to the server. */
  offline(userId: string): Promise<void>
  /** Connects `side` again on its own key store (the same device). */
  reconnect(side: Side): Promise<Side>
  /** Closes the server (pending pushes run first, while clients are still connected), then the rest. */
  close(): Promise<void>
}

/** A memory key store that outlives its client's `close()` (the device goes offline and comes back). */
function lastingKeyStore(): KeyStore {
  const ks = memoryKeyStore()
  return { ...ks, close: async () => {} }
}

export async function pushWorld(policy: Policy, kind: (typeof KINDS)[number]): Promise<PushWorld> {
  const endpoint = await startPushEndpoint()
  const vapid = vapidKeys()
  const send = webPushSender({ vapid, allowEndpoint: (u) => u.origin === endpoint.origin, agent: endpoint.agent })
  const deliveries: OfflineDelivery[] = []
  const errors: unknown[] = []
  let gate: { promise: Promise<void>; open(): void } | null = null
  const http = createServer()
  const io = new Server(http, { parser: parleyParser, maxHttpBufferSize: MAX_FRAME_BYTES })
  const parley = createParleyServer({
    io, policy, store: memoryStore(), logger: pino({ level: 'silent' }),
    authenticate: (hs) => ({ userId: String((hs.auth as { token?: unknown }).token) }),
    limits: { connection: { capacity: 100_000, refillPerSecond: 100_000 }, user: { capacity: 100_000, refillPerSecond: 100_000 } },
    onError: (e) => void errors.push(e),
    pushCoalesceMs: TEST_COALESCE_MS,
    onOfflineDelivery: async (d, ctx) => {
      deliveries.push(structuredClone(d))
      if (gate) await gate.promise
      await send(d, ctx)
    },
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  const clients = new Set<ParleyClient>()
  const join = async (userId: string, keyStore: KeyStore = lastingKeyStore()) => {
    const client = await connect(url, userId, { keyStore })
    clients.add(client)
    return { client, keyStore }
  }
  const [a, b, c] = await Promise.all([join('alice'), join('bob'), kind === 'group' ? join('carol') : null])
  const ca = kind === 'group' ? await a.client.conversations.create({ members: ['bob', 'carol'], title: 'team' }) : await a.client.conversations.open('bob')
  const sideOf = async (userId: string, j: { client: ParleyClient; keyStore: KeyStore }): Promise<Side> => {
    if (kind === 'direct' && userId === 'bob') return { userId, ...j, c: await j.client.conversations.open('alice') }
    await waitFor(async () => (await j.client.conversations.list()).some((x) => x.id === ca.id), 10_000, `${userId} sees ${ca.id}`)
    return { userId, ...j, c: j.client.conversations.get(ca.id)! }
  }
  const alice: Side = { userId: 'alice', ...a, c: ca }
  const bob = await sideOf('bob', b)
  const carol = c ? await sideOf('carol', c) : undefined
  let closed = false
  return {
    url, parley, endpoint, vapid, deliveries, errors, alice, bob, ...(carol ? { carol } : {}),
    hold() {
      let open!: () => void
      const promise = new Promise<void>((r) => (open = r))
      gate = { promise, open }
    },
    release() {
      gate?.open()
      gate = null
    },
    async offline(userId) {
      await waitFor(() => ![...io.of('/').sockets.values()].some((s) => s.data.userId === userId), 10_000, `${userId} offline at the server`)
    },
    async reconnect(side) {
      const j = await join(side.userId, side.keyStore)
      await waitFor(async () => (await j.client.conversations.list()).some((x) => x.id === ca.id), 10_000, `${side.userId} back in ${ca.id}`)
      return { ...side, client: j.client, c: j.client.conversations.get(ca.id)! }
    },
    async close() {
      if (closed) return
      closed = true
      gate?.open()
      await parley.close()
      for (const cl of clients) await cl.close().catch(() => {})
      await new Promise<void>((r) => void io.close(() => r()))
      await endpoint.close()
    },
  }
}
