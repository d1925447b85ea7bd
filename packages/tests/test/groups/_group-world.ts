/**
 * The group world shared by `groups/*.test.ts`: a real Parley server over a memory store the
 * test can read, users connected directly (or through a tampering proxy), and helpers to
 * collect what each client shows of a group.
 */
import type { Policy } from '@parley/protocol'
import { memoryStore, type ParleyStore } from '@parley/server'
import { memoryKeyStore, type Conversation, type ErrorPayload, type KeyStore, type Message, type MembersEventPayload, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'

export const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

export interface Member {
  userId: string
  client: ParleyClient
  keyStore: KeyStore
  errors: ErrorPayload[]
  got: Message[]
  members: MembersEventPayload[]
}

export interface GroupWorld {
  server: TestServer
  store: ParleyStore
  proxy: TamperProxy
  users: Record<string, Member>
  /** Connects a user (through the proxy when `viaProxy`). */
  join(userId: string, viaProxy?: boolean, extra?: { minimumMode?: 'server-side' | 'e2ee' }): Promise<Member>
  /** The user's side of a group, once its client knows it. */
  side(userId: string, id: string): Promise<Conversation>
  close(): Promise<void>
}

export async function groupWorld(policy: Policy, opts: { maxGroupMembers?: number; store?: ParleyStore; canMessage?: (from: string, to: string) => 'allow' | 'request' | 'deny'; logger?: Parameters<typeof startServer>[0]['logger'] } = {}): Promise<GroupWorld> {
  const store = opts.store ?? memoryStore()
  const server = await startServer({
    policy, store, ...(opts.maxGroupMembers ? { maxGroupMembers: opts.maxGroupMembers } : {}), ...(opts.canMessage ? { canMessage: opts.canMessage } : {}), ...(opts.logger ? { logger: opts.logger } : {}),
  })
  const proxy = await startTamperProxy(server.url)
  const users: Record<string, Member> = {}
  const w: GroupWorld = {
    server, store, proxy, users,
    async join(userId, viaProxy = false, extra = {}) {
      const keyStore = memoryKeyStore()
      const client = await connect(viaProxy ? proxy.url : server.url, userId, { keyStore, ...extra })
      const m: Member = { userId, client, keyStore, errors: [], got: [], members: [] }
      client.on('error', (e) => m.errors.push(e))
      client.on('message', (msg) => msg.status === 'received' && !msg.outgoing && m.got.push(msg))
      client.on('members', (e) => m.members.push(e))
      users[userId] = m
      return m
    },
    async side(userId, id) {
      const client = users[userId]!.client
      await waitFor(async () => client.conversations.get(id) !== undefined || (await client.conversations.list()).some((c) => c.id === id), 10_000, `${userId} sees group ${id}`)
      return client.conversations.get(id)!
    },
    async close() {
      for (const m of Object.values(users)) await m.client.close().catch(() => {})
      await proxy.close()
      await server.close()
    },
  }
  return w
}

/** Texts a member's client received in a conversation. */
export const textsIn = (m: Member, id: string) => m.got.filter((x) => x.conversationId === id).map((x) => x.text)
/** Error codes a member's client surfaced. */
export const codesOf = (m: Member) => m.errors.map((e) => e.error.code)
