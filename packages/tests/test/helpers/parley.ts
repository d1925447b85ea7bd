/**
 * End-to-end helpers: a real Parley server on a loopback port (memoryStore unless given),
 * clients with memory key stores, and waiting utilities. The token is the user id.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import pino from 'pino'
import type { ModerationAction, ModerationPlugin, Policy, VerifiedReport } from '@parley/protocol'
import { createParleyServer, memoryStore, type AttachmentOptions, type OnOfflineDelivery, type ParleyLimits, type ParleyServer, type ParleyStore } from '@parley/server'
import { createParleyClient, memoryKeyStore, type KeyStore, type Message, type ParleyClient, type ParleyClientOptions } from '@parley/client'

export interface TestServer {
  url: string
  parley: ParleyServer
  http: HttpServer
  reports: VerifiedReport[]
  /** What the server's `onModerationAction` received, in order. */
  actions: ModerationAction[]
  errors: unknown[]
  close(): Promise<void>
}

export async function startServer(opts: { policy: Policy; store?: ParleyStore | Promise<ParleyStore>; plugins?: ModerationPlugin[]; port?: number; limits?: ParleyLimits; redis?: { url: string; streamName?: string }; maxGroupMembers?: number; canMessage?: (from: string, to: string) => 'allow' | 'request' | 'deny'; purgeIntervalMs?: number; logger?: pino.Logger; attachments?: AttachmentOptions | false; onOfflineDelivery?: OnOfflineDelivery; pushCoalesceMs?: number; authenticate?: (token: string) => string } ): Promise<TestServer> {
  const http = createServer()
  const reports: VerifiedReport[] = []
  const actions: ModerationAction[] = []
  const errors: unknown[] = []
  const parley = createParleyServer({
    httpServer: http,
    policy: opts.policy,
    store: opts.store ?? memoryStore(),
    authenticate: (handshake) => {
      const token = (handshake.auth as { token?: unknown }).token
      if (typeof token !== 'string' || token.length === 0) throw new Error('no token')
      // A test's own token → user mapping (e.g. one user with several tokens, one revoked).
      return { userId: opts.authenticate ? opts.authenticate(token) : token }
    },
    plugins: opts.plugins ?? [],
    onReport: (r) => void reports.push(r),
    onModerationAction: (a) => void actions.push(a),
    onError: (e) => void errors.push(e),
    logger: opts.logger ?? pino({ level: 'silent' }),
    limits: { connection: { capacity: 100_000, refillPerSecond: 100_000 }, user: { capacity: 100_000, refillPerSecond: 100_000 }, ...opts.limits },
    ...(opts.redis ? { redis: opts.redis } : {}),
    ...(opts.maxGroupMembers ? { maxGroupMembers: opts.maxGroupMembers } : {}),
    ...(opts.canMessage ? { canMessage: opts.canMessage } : {}),
    ...(opts.purgeIntervalMs ? { retention: { purgeIntervalMs: opts.purgeIntervalMs } } : {}),
    ...(opts.attachments !== undefined ? { attachments: opts.attachments } : {}),
    ...(opts.onOfflineDelivery ? { onOfflineDelivery: opts.onOfflineDelivery, pushCoalesceMs: opts.pushCoalesceMs ?? 20 } : {}),
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(opts.port ?? 0, '127.0.0.1', r))
  const port = (http.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}`,
    parley,
    http,
    reports,
    actions,
    errors,
    async close() {
      await parley.close()
      await new Promise<void>((r) => http.close(() => r()))
    },
  }
}

export async function connect(url: string, userId: string, extra: Partial<ParleyClientOptions> & { keyStore?: KeyStore } = {}): Promise<ParleyClient> {
  return createParleyClient({
    url,
    token: userId,
    keyStore: extra.keyStore ?? memoryKeyStore(),
    // Tests written before receipts count seqs and deliveries exactly; receipt tests turn them on.
    deliveryReceipts: false,
    socketOptions: { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 },
    ...extra,
  })
}

/** Polls `check` until it returns true (or throws after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  const start = Date.now()
  for (;;) {
    if (await check()) return
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Every message in a conversation's local history, oldest first. */
export async function fullHistory(client: ParleyClient, conversationId: string): Promise<Message[]> {
  const c = client.conversations.get(conversationId)
  if (!c) return []
  const out: Message[] = []
  let before: number | undefined
  for (;;) {
    const page = await c.history({ limit: 100, ...(before !== undefined ? { before } : {}) })
    out.unshift(...page.messages)
    if (page.nextBefore === undefined) break
    before = page.nextBefore
  }
  return out
}

/**
 * Closes what a test started, clients first (`clients` is emptied), then a proxy, then the
 * server — the `afterEach` of every end-to-end file: `afterEach(() => closeAll({ clients, proxy, server }))`.
 */
export async function closeAll(r: { clients?: ParleyClient[]; proxy?: { close(): Promise<void> } | undefined; server?: { close(): Promise<void> } | undefined }): Promise<void> {
  for (const c of r.clients?.splice(0) ?? []) await c.close().catch(() => {})
  await r.proxy?.close()
  await r.server?.close()
}
