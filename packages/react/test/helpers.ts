/**
 * Test helpers: a real Parley server on a loopback port (memory store) under one policy, real
 * clients with memory key stores, and a key store that survives `client.close()` so a test can
 * "reload" a device (a new client and provider over the same stores).
 */
import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { MAX_FRAME_BYTES, type ModerationPlugin, type Policy, type VerifiedReport } from '@parley/protocol'
import { createParleyServer, memoryStore, type ParleyIo } from '@parley/server'
import { createParleyClient, memoryKeyStore, type KeyStore, type ParleyClient } from '@parley/client'
import { keywordFilter } from '@parley/moderation'

export const POLICIES: readonly Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

/** The word the test plugin blocks, on the server and in every client. */
export const BLOCKED_WORD = 'badword'

export function plugins(): ModerationPlugin[] {
  return [keywordFilter({ name: 'test-filter', words: [BLOCKED_WORD], action: 'block', reason: 'blocked word' })]
}

export interface TestServer {
  url: string
  /** The socket.io server Parley is mounted on (a test can send frames no honest server sends). */
  io: ParleyIo
  reports: VerifiedReport[]
  close(): Promise<void>
}

export async function startServer(policy: Policy): Promise<TestServer> {
  const http = createServer()
  const reports: VerifiedReport[] = []
  const io: ParleyIo = new Server(http, { maxHttpBufferSize: MAX_FRAME_BYTES })
  const parley = createParleyServer({
    io,
    policy,
    store: memoryStore(),
    authenticate: (handshake) => {
      const token = (handshake.auth as { token?: unknown }).token
      if (typeof token !== 'string' || token.length === 0) throw new Error('no token')
      return { userId: token }
    },
    plugins: plugins(),
    onReport: (r) => void reports.push(r),
    limits: { connection: { capacity: 100_000, refillPerSecond: 100_000 }, user: { capacity: 100_000, refillPerSecond: 100_000 } },
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  return {
    url,
    io,
    reports,
    async close() {
      await parley.close()
      await new Promise<void>((r) => io.close(() => r()))
    },
  }
}

/** A memory key store whose `close()` keeps the data, so a second client can reopen it. */
export function reopenableStore(): KeyStore {
  const inner = memoryKeyStore()
  return { ...inner, get: inner.get.bind(inner), set: inner.set.bind(inner), delete: inner.delete.bind(inner), saveChanges: inner.saveChanges.bind(inner), keys: inner.keys.bind(inner), close: async () => {} }
}

export function connect(url: string, userId: string, keyStore: KeyStore = memoryKeyStore()): Promise<ParleyClient> {
  return createParleyClient({
    url,
    token: userId,
    keyStore,
    plugins: plugins(),
    deliveryReceipts: false, // these tests count rows and seqs exactly; receipts have their own tests
    socketOptions: { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 },
  })
}
