/**
 * The world of `messages/*.test.ts` (docs/messages.md): a real server over a memory store the
 * test can read, with a keyword filter on the server and on every client (so content hooks
 * run in every mode), and one conversation — a 1:1 of alice and bob, or a group of alice, bob
 * and carol — with what each client shows collected: messages, updates and errors.
 */
import { keywordFilter } from '@parley/moderation'
import type { Policy } from '@parley/protocol'
import { memoryStore, type ParleyStore } from '@parley/server'
import { memoryKeyStore, type Conversation, type ErrorPayload, type Message, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

export const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
export const KINDS = ['direct', 'group'] as const
export type Kind = (typeof KINDS)[number]
export const CASES = POLICIES.flatMap((policy) => KINDS.map((kind) => ({ policy, kind })))

/** The word the keyword filter blocks, on the server and on every client. */
export const BANNED = 'forbiddenword'
const filter = () => keywordFilter({ words: [BANNED], action: 'block' })

export interface Side {
  userId: string
  client: ParleyClient
  c: Conversation
  got: Message[]
  updates: Message[]
  errors: ErrorPayload[]
}

export interface MessagesWorld {
  server: TestServer
  store: ParleyStore
  proxy: TamperProxy
  alice: Side
  bob: Side
  /** The group's third member (groups only). */
  carol?: Side
  close(): Promise<void>
}

/** Starts the world; `bobViaProxy` puts bob's client behind the tampering proxy. */
export async function messagesWorld(policy: Policy, kind: Kind, opts: { bobViaProxy?: boolean } = {}): Promise<MessagesWorld> {
  const store = memoryStore()
  const server = await startServer({ policy, store, plugins: [filter()] })
  const proxy = await startTamperProxy(server.url)
  const clients: ParleyClient[] = []
  const join = async (userId: string, viaProxy = false) => {
    const client = await connect(viaProxy ? proxy.url : server.url, userId, { keyStore: memoryKeyStore(), plugins: [filter()] })
    clients.push(client)
    return client
  }
  const [a, b, c] = await Promise.all([join('alice'), join('bob', opts.bobViaProxy), kind === 'group' ? join('carol') : null])
  const ca = kind === 'group' ? await a.conversations.create({ members: ['bob', 'carol'], title: 'team' }) : await a.conversations.open('bob')
  const sideOf = async (userId: string, client: ParleyClient, known?: Conversation): Promise<Side> => {
    if (!known) await waitFor(async () => (await client.conversations.list()).some((x) => x.id === ca.id), 10_000, `${userId} sees ${ca.id}`)
    const conv = known ?? client.conversations.get(ca.id)!
    const s: Side = { userId, client, c: conv, got: [], updates: [], errors: [] }
    conv.on('message', (m) => m.status === 'received' && s.got.push(m))
    conv.on('update', (m) => s.updates.push(m))
    client.on('error', (e) => s.errors.push(e))
    return s
  }
  const alice = await sideOf('alice', a, ca)
  const bob = await sideOf('bob', b, kind === 'direct' ? await b.conversations.open('alice') : undefined)
  const carol = c ? await sideOf('carol', c) : undefined
  return {
    server, store, proxy, alice, bob, ...(carol ? { carol } : {}),
    async close() {
      for (const cl of clients) await cl.close().catch(() => {})
      await proxy.close()
      await server.close()
    },
  }
}

/** The latest update of `messageId` a side saw. */
export const lastUpdate = (s: Side, messageId: string) => [...s.updates].reverse().find((m) => m.id === messageId)

/** Waits until `s` saw an update of `messageId` passing `check`. */
export async function updated(s: Side, messageId: string, check: (m: Message) => boolean, what: string): Promise<Message> {
  await waitFor(() => { const m = lastUpdate(s, messageId); return !!m && check(m) }, 10_000, `${s.userId}: ${what}`)
  return lastUpdate(s, messageId)!
}

/** The error code of a rejected promise ('resolved' when it resolved). */
export const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code ?? String(e))
