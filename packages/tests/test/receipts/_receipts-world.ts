/**
 * The world of the receipt tests (docs/messages.md, "Receipts"): a real server over a memory
 * store, one conversation — a 1:1 of alice and bob, or a group of alice, bob and carol — and a
 * second, linked device of alice (own-device sync), every client sending delivered receipts,
 * with what each device shows collected: messages, receipts, unread counts and errors.
 */
import type { Policy } from '@parley/protocol'
import { memoryStore, type ParleyStore } from '@parley/server'
import {
  memoryKeyStore, requestDeviceLink, type Conversation, type ErrorPayload, type KeyStore, type Message, type ParleyClient, type Receipt,
} from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

export const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
export const KINDS = ['direct', 'group'] as const
export type Kind = (typeof KINDS)[number]
export const CASES = POLICIES.flatMap((policy) => KINDS.map((kind) => ({ policy, kind })))

export interface Side {
  userId: string
  client: ParleyClient
  c: Conversation
  keyStore: KeyStore
  got: Message[]
  updates: Message[]
  receipts: Receipt[]
  /** Every `'unread'` count, in order. */
  unread: number[]
  errors: ErrorPayload[]
}

export interface ReceiptsWorld {
  server: TestServer
  store: ParleyStore
  proxy: TamperProxy
  alice: Side
  /** alice's second device, linked (own-device sync). */
  alice2: Side
  bob: Side
  carol?: Side
  /** Closes `s`'s client and starts it again from its key store (offline, then back). */
  restart(s: Side, offline?: () => Promise<void>): Promise<Side>
  close(): Promise<void>
}

const socketOptions = { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 }

export async function receiptsWorld(policy: Policy, kind: Kind, opts: { bobViaProxy?: boolean } = {}): Promise<ReceiptsWorld> {
  const store = memoryStore()
  const server = await startServer({ policy, store })
  const proxy = await startTamperProxy(server.url)
  const clients = new Set<ParleyClient>()
  const join = async (userId: string, keyStore: KeyStore, viaProxy = false) => {
    const client = await connect(viaProxy ? proxy.url : server.url, userId, { keyStore, deliveryReceipts: true })
    clients.add(client)
    return client
  }
  // Kept open across a restart: the device comes back with its keys and log.
  const keep = (ks: KeyStore): KeyStore => ({ ...ks, close: async () => {} })
  const stores = { alice: keep(memoryKeyStore()), bob: keep(memoryKeyStore()), carol: keep(memoryKeyStore()), alice2: keep(memoryKeyStore()) }
  const [a, b, c] = await Promise.all([join('alice', stores.alice), join('bob', stores.bob, opts.bobViaProxy), kind === 'group' ? join('carol', stores.carol) : null])
  const link = await requestDeviceLink({ url: server.url, token: 'alice', keyStore: stores.alice2, socketOptions, deliveryReceipts: true })
  await a.linkDevice(link.code)
  const a2 = await link.client
  clients.add(a2)
  const ca = kind === 'group' ? await a.conversations.create({ members: ['bob', 'carol'], title: 'team' }) : await a.conversations.open('bob')
  const sideOf = async (userId: string, client: ParleyClient, keyStore: KeyStore): Promise<Side> => {
    await waitFor(async () => (await client.conversations.list()).some((x) => x.id === ca.id), 10_000, `${userId} sees ${ca.id}`)
    const conv = client.conversations.get(ca.id)!
    const s: Side = { userId, client, c: conv, keyStore, got: [], updates: [], receipts: [], unread: [], errors: [] }
    conv.on('message', (m) => m.status === 'received' && s.got.push(m))
    conv.on('update', (m) => s.updates.push(m))
    conv.on('receipt', (r) => s.receipts.push(r))
    conv.on('unread', (u) => s.unread.push(u.count))
    client.on('error', (e) => s.errors.push(e))
    return s
  }
  // bob opens the 1:1 from his side (as an app would), so it is no message request for him.
  if (kind === 'direct') await b.conversations.open('alice')
  const alice = await sideOf('alice', a, stores.alice)
  const alice2 = await sideOf('alice', a2, stores.alice2)
  const bob = await sideOf('bob', b, stores.bob)
  const carol = c ? await sideOf('carol', c, stores.carol) : undefined
  return {
    server, store, proxy, alice, alice2, bob, ...(carol ? { carol } : {}),
    async restart(s, offline) {
      await s.client.close()
      clients.delete(s.client)
      await offline?.()
      const client = await join(s.userId, s.keyStore, opts.bobViaProxy === true && s.userId === 'bob')
      await client.whenReady()
      return sideOf(s.userId, client, s.keyStore)
    },
    async close() {
      for (const cl of clients) await cl.close().catch(() => {})
      await proxy.close()
      await server.close()
    },
  }
}

/** The statuses `s` sees for `messageId`, as sorted `user/status` strings (one per user: its best device). */
export async function statusByUser(s: Side, messageId: string): Promise<string[]> {
  const best = new Map<string, string>()
  for (const r of await s.c.receipts(messageId)) if (best.get(r.userId) !== 'read') best.set(r.userId, r.status)
  return [...best].map(([u, st]) => `${u}/${st}`).sort()
}
