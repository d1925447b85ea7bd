/**
 * Helpers for the cross-mode moderation and reporting suites: the four modes the suites run
 * unchanged against, a server that records `onFlag`, `onReport` and `onError` (and its pino
 * lines), clients that record their own flags and errors, a raw socket acting as one
 * registered device (to send hand-made `report.submit` frames), and report entries read from
 * a client's local log.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import { Writable } from 'node:stream'
import pino from 'pino'
import { io as ioClient, type Socket } from 'socket.io-client'
import {
  SUPPORTED_PROTOCOL_VERSIONS, type AckResponse, type FlagEvent, type ModerationPlugin, type ParleyError, type Policy,
  type ReportEntry, type VerifiedReport,
} from '@parley/protocol'
import { createParleyServer, memoryStore, type ErrorContext, type ParleyServer, type ParleyStore } from '@parley/server'
import { memoryKeyStore, type Conversation, type KeyStore, type ParleyClient } from '@parley/client'
import { signHelloProof, type DeviceIdentity } from '@parley/crypto'
import { connect, waitFor } from './parley.js'

/** One mode the suites run against: a policy, and whether the conversation is upgraded first. */
export interface ModeCase {
  name: string
  policy: Policy
  /** Upgrade each conversation to E2EE (after some readable messages) before the test cases. */
  upgrade: boolean
  /** The conversation mode the test cases then run in. */
  conversation: 'server-side' | 'e2ee'
}

/** The four modes of issue 8's conformance promise. */
export const MODES: readonly ModeCase[] = [
  { name: 'server-side', policy: 'server-side', upgrade: false, conversation: 'server-side' },
  { name: 'optional-e2ee before upgrade', policy: 'optional-e2ee', upgrade: false, conversation: 'server-side' },
  { name: 'optional-e2ee after upgrade', policy: 'optional-e2ee', upgrade: true, conversation: 'e2ee' },
  { name: 'default-e2ee', policy: 'default-e2ee', upgrade: false, conversation: 'e2ee' },
]

/** A flag and where it surfaced: the server's `onFlag` or a client's own `onFlag`. */
export interface SurfacedFlag {
  at: string
  event: FlagEvent
}

/** An error and where it surfaced: the server's `onError` or a client's `'error'` event. */
export interface SurfacedError {
  at: string
  error: ParleyError
  context?: ErrorContext
}

export interface World {
  url: string
  parley: ParleyServer
  reports: VerifiedReport[]
  flags: SurfacedFlag[]
  errors: SurfacedError[]
  /** Every line the server logged (pino JSON, level trace). */
  logs: string[]
  users: Record<string, { client: ParleyClient; keyStore: KeyStore }>
  /** Opens the conversation a → b, brings it to the mode's conversation mode, returns both sides. */
  open(a: string, b: string): Promise<[Conversation, Conversation]>
  close(): Promise<void>
}

export interface WorldOptions {
  mode: ModeCase
  users: string[]
  /** Installed on the server AND every client: the same objects. */
  plugins?: ModerationPlugin[]
  store?: ParleyStore | Promise<ParleyStore>
  extraServerPlugins?: ModerationPlugin[]
}

/** A pino logger that keeps every line in `lines`. */
export function memoryLogger(lines: string[]): pino.Logger {
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(String(chunk))
      done()
    },
  })
  return pino({ level: 'trace' }, stream)
}

/** Starts a server in `mode` and connects `users`, each with the given plugins. */
export async function startWorld(o: WorldOptions): Promise<World> {
  const http: HttpServer = createServer()
  const reports: VerifiedReport[] = []
  const flags: SurfacedFlag[] = []
  const errors: SurfacedError[] = []
  const logs: string[] = []
  const parley = createParleyServer({
    httpServer: http,
    policy: o.mode.policy,
    store: o.store ?? memoryStore(),
    authenticate: (handshake) => {
      const token = (handshake.auth as { token?: unknown }).token
      if (typeof token !== 'string' || token.length === 0) throw new Error('no token')
      return { userId: token }
    },
    plugins: [...(o.plugins ?? []), ...(o.extraServerPlugins ?? [])],
    onReport: (r) => void reports.push(r),
    onFlag: (event) => void flags.push({ at: 'server', event }),
    onError: (error, context) => void errors.push({ at: 'server', error: error as ParleyError, context }),
    logger: memoryLogger(logs),
    limits: {
      connection: { capacity: 100_000, refillPerSecond: 100_000 },
      user: { capacity: 100_000, refillPerSecond: 100_000 },
      reports: { capacity: 1_000, refillPerSecond: 1_000 },
    },
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(http.address() as { port: number }).port}`
  const users: World['users'] = {}
  for (const userId of o.users) {
    const keyStore = memoryKeyStore()
    const client = await connect(url, userId, {
      keyStore,
      plugins: o.plugins ?? [],
      onFlag: (event) => void flags.push({ at: userId, event }),
    })
    client.on('error', (p) => void errors.push({ at: userId, error: p.error }))
    users[userId] = { client, keyStore }
  }
  const mode = o.mode
  return {
    url, parley, reports, flags, errors, logs, users,
    async open(a, b) {
      const ca = await users[a]!.client.conversations.open(b)
      const cb = await users[b]!.client.conversations.open(a)
      if (mode.upgrade) {
        // Some readable history first, so the upgrade happens mid-conversation.
        const seen = new Set<string>()
        const off = cb.on('message', (m) => void (m.status === 'received' && seen.add(m.text)))
        await ca.send({ text: `before the upgrade ${a}` })
        await waitFor(() => seen.size === 1, 10_000, 'readable message before the upgrade')
        off()
        await ca.upgradeToE2EE()
        await waitFor(() => cb.encryption === 'e2ee', 10_000, 'peer pins e2ee')
      }
      if (ca.encryption !== mode.conversation || cb.encryption !== mode.conversation) {
        throw new Error(`conversation is ${ca.encryption}/${cb.encryption}, expected ${mode.conversation}`)
      }
      return [ca, cb]
    },
    async close() {
      for (const { client } of Object.values(users)) await client.close()
      await parley.close()
      await new Promise<void>((r) => http.close(() => r()))
    },
  }
}

/** Waits until `c` has received (status `received`) a message with `text`; returns it. */
export async function received(c: Conversation, text: string, timeoutMs = 10_000): Promise<import('@parley/client').Message> {
  let found: import('@parley/client').Message | undefined
  const off = c.on('message', (m) => {
    if (m.status === 'received' && m.text === text) found = m
  })
  try {
    const page = await c.history({ limit: 100 })
    found ??= page.messages.find((m) => m.status === 'received' && m.text === text)
    await waitFor(() => found !== undefined, timeoutMs, `"${text}" received`)
    return found!
  } finally {
    off()
  }
}

/**
 * The report entries a device holds for a conversation, oldest first: its local message log
 * with the franking openings (`msg/<conversationId>/<seq>` records of the client's key store).
 */
export async function logEntries(keyStore: KeyStore, conversationId: string): Promise<ReportEntry[]> {
  const out: ReportEntry[] = []
  for (const key of await keyStore.keys(`msg/${conversationId}/`)) {
    const m = (await keyStore.get(key)) as unknown as {
      id: string; conversationId: string; seq: number; ts: number; sender: { userId: string; deviceId: string }; text: string
      attachments: { name: string; mime: string; size: number; sha256: string }[]; nf: string; tf: string; rf: string; kid: string
    }
    out.push({
      messageId: m.id, conversationId: m.conversationId, seq: m.seq, ts: m.ts, sender: { userId: m.sender.userId, deviceId: m.sender.deviceId },
      text: m.text, attachments: m.attachments.map((a) => ({ name: a.name, mime: a.mime, size: a.size, sha256: a.sha256 })),
      nf: m.nf, tf: m.tf, rf: m.rf, kid: m.kid,
    })
  }
  return out
}

/**
 * A raw socket.io connection acting as an already registered device of `userId`: it proves the
 * device's signing key (read from the device's key store) over the connection's challenge.
 */
export interface RawDevice {
  request<T = unknown>(event: string, frame: unknown): Promise<AckResponse<T>>
  close(): void
}

export async function rawDevice(url: string, userId: string, keyStore: KeyStore): Promise<RawDevice> {
  const self = (await keyStore.get('self')) as unknown as { deviceId: string; device: DeviceIdentity } | null
  if (!self) throw new Error(`raw device ${userId}: the key store holds no device`)
  const deviceId = self.deviceId
  const socket: Socket = ioClient(url, { auth: { token: userId }, transports: ['websocket'], reconnection: false, forceNew: true })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  const request = <T>(event: string, frame: unknown) =>
    socket.timeout(10_000).emitWithAck(event, frame) as Promise<AckResponse<T>>
  const challenge = await request<{ nonce: string }>('hello.challenge', {})
  if (!challenge.ok) throw new Error(`raw device ${userId}/${deviceId}: no challenge: ${JSON.stringify(challenge)}`)
  const { nonce } = challenge.data
  const proof = { nonce, signature: signHelloProof(self.device, { nonce, userId, deviceId }) }
  const hello = await request<{ registered: boolean }>('hello', { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId, proof })
  if (!hello.ok || !hello.data.registered) throw new Error(`raw device ${userId}/${deviceId} did not attach: ${JSON.stringify(hello)}`)
  return { request, close: () => void socket.disconnect() }
}

/** A report with what depends on the run (ids, device ids, times, seqs) replaced, for comparing across modes. */
export function normalizeReport(r: VerifiedReport): unknown {
  return {
    reporter: r.reporter.userId,
    reason: r.reason,
    entries: r.entries.map((e) => ({
      sender: e.sender.userId, text: e.text, attachments: e.attachments, verified: e.verified,
      ...(e.failure ? { failure: e.failure } : {}),
    })),
    transcript: r.transcript,
    keys: Object.keys(r).sort(),
    entryKeys: [...new Set(r.entries.flatMap((e) => Object.keys(e)))].sort(),
  }
}

/** A flag event with its run-dependent ids replaced (where it surfaced is kept separately). */
export function normalizeFlag(f: FlagEvent): unknown {
  return { plugin: f.plugin, reason: f.reason, hook: f.hook, sender: f.sender.userId, keys: Object.keys(f).sort() }
}
