/**
 * What a policy change does to existing conversations, shown for real: a Parley server on a
 * temporary PGlite directory, three Node clients, conversations in each mode, then the server
 * restarted under each next policy. After every phase it prints each conversation's mode as
 * both members see it (before → after) and the notices each user received.
 *
 *   npx tsx --conditions=@parley/source examples/policy-switch/src/index.ts
 *   … --policies default-e2ee,server-side        # any sequence of policies
 *
 * The rules on display (docs/architecture.md, "Modes"): E2EE is one-way, so moving to a weaker
 * policy never converts an E2EE conversation (only new conversations follow it); moving to
 * `default-e2ee` upgrades each server-side conversation on its next send; everyone is told.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command, InvalidArgumentError } from 'commander'
import { createParleyClient, memoryKeyStore, noticeText, type Conversation, type ParleyClient } from '@parley/client'
import { createParleyServer, pgliteStore, type ParleyServer } from '@parley/server'
import { generateDataKey, generateFrankingKey } from '@parley/crypto'
import { isPolicy, POLICIES, UnauthorizedError, type EncryptionMode, type Notice, type Policy } from '@parley/protocol'

/** Users of the scenario. */
export const USERS = ['alice', 'bob', 'carol'] as const
type User = (typeof USERS)[number]
/** How long a client may take to reconnect after a restart, ms. */
export const RECONNECT_TIMEOUT_MS = 30_000
/** Quiet time that ends a phase: no new notice or mode change for this long, ms. */
export const SETTLE_MS = 750

const DEFAULT_POLICIES: Policy[] = ['optional-e2ee', 'server-side', 'default-e2ee']

function parsePolicies(value: string): Policy[] {
  const list = value.split(',').map((p) => p.trim())
  for (const p of list) if (!isPolicy(p)) throw new InvalidArgumentError(`"${p}" is not one of ${POLICIES.join(', ')}`)
  if (list.length < 2) throw new InvalidArgumentError('give at least two policies, e.g. default-e2ee,server-side')
  return list as Policy[]
}

interface Running {
  parley: ParleyServer
  http: HttpServer
  port: number
}

/** Keys that survive restarts, as a deployment's secret manager would provide. */
const frankingKeys = { currentKid: 'fk1', keys: { fk1: generateFrankingKey() } }
const dataKeys = { currentKid: 'dk1', keys: { dk1: generateDataKey() } }

async function startServer(policy: Policy, dataDir: string, port: number): Promise<Running> {
  const http = createServer()
  const parley = createParleyServer({
    httpServer: http,
    policy,
    store: pgliteStore({ dataDir }),
    frankingKeys,
    dataKeys,
    authenticate: (hs) => {
      const token = hs.auth.token
      if (typeof token !== 'string' || !(USERS as readonly string[]).includes(token)) throw new UnauthorizedError('unknown demo user')
      return { userId: token }
    },
  })
  await parley.ready
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject)
    http.listen(port, '127.0.0.1', () => resolve())
  })
  return { parley, http, port: (http.address() as AddressInfo).port }
}

async function stopServer(s: Running): Promise<void> {
  await s.parley.close()
  await new Promise<void>((resolve) => (s.http.listening ? s.http.close(() => resolve()) : resolve()))
}

interface Tracked {
  name: string
  members: [User, User]
  convos: Partial<Record<User, Conversation>>
}

const MODE: Record<EncryptionMode, string> = { e2ee: 'e2ee', 'server-side': 'server-side' }

async function main(): Promise<void> {
  const opts = new Command('policy-switch')
    .description('restart a Parley server under different policies and show what happens to each conversation')
    .option('--policies <list>', 'comma-separated policies, in order', parsePolicies, DEFAULT_POLICIES)
    .allowExcessArguments(false)
    .parse()
    .opts<{ policies: Policy[] }>()

  const dataDir = await mkdtemp(join(tmpdir(), 'parley-policy-switch-'))
  const notices: Record<User, Notice[]> = { alice: [], bob: [], carol: [] }
  const clients = {} as Record<User, ParleyClient>
  const tracked: Tracked[] = []
  let lastEvent = Date.now()
  let server: Running | undefined
  const downgrades: string[] = []

  const settle = async () => {
    lastEvent = Date.now()
    while (Date.now() - lastEvent < SETTLE_MS) await new Promise((r) => setTimeout(r, 100))
  }
  const modesOf = (t: Tracked) => t.members.map((u) => `${u}: ${MODE[t.convos[u]?.encryption ?? 'server-side']}`).join(', ')
  const summary = (t: Tracked) => {
    const modes = new Set(t.members.map((u) => t.convos[u]?.encryption))
    return modes.size === 1 ? [...modes][0]! : `split (${modesOf(t)})`
  }

  /** Opens (or finds) the conversation on both sides and tracks it. */
  const converse = async (a: User, b: User): Promise<Tracked> => {
    const name = `${a}↔${b}`
    let t = tracked.find((x) => x.name === name)
    if (!t) {
      t = { name, members: [a, b], convos: {} }
      tracked.push(t)
    }
    const ca = await clients[a].conversations.open(b)
    const cb = await clients[b].conversations.open(a)
    for (const [u, c] of [[a, ca], [b, cb]] as const) {
      if (t.convos[u]) continue
      t.convos[u] = c
      c.on('mode', () => (lastEvent = Date.now()))
      c.on('message', () => (lastEvent = Date.now()))
    }
    return t
  }

  const say = async (t: Tracked, from: User, text: string) => {
    const ack = await t.convos[from]!.send({ text })
    console.log(`  ${from} → ${t.name}: "${text}" (sent #${ack.seq} as ${t.convos[from]!.encryption})`)
  }

  try {
    for (const [phase, policy] of opts.policies.entries()) {
      const before = new Map(tracked.map((t) => [t.name, summary(t)]))
      const noticeMark = Object.fromEntries(USERS.map((u) => [u, notices[u].length])) as Record<User, number>
      console.log(`\n== phase ${phase + 1}: ${phase === 0 ? 'server starts' : 'server restarted'} under policy ${policy}`)
      server = await startServer(policy, dataDir, server?.port ?? 0)

      if (phase === 0) {
        const url = `http://127.0.0.1:${server.port}`
        for (const u of USERS) {
          clients[u] = await createParleyClient({ url, token: u, userId: u, keyStore: memoryKeyStore() })
          clients[u].on('notice', (n) => {
            notices[u].push(n)
            lastEvent = Date.now()
          })
        }
      } else {
        // The client re-reads its conversations' server state (e.g. "upgrade required" under a
        // new default-e2ee policy) by itself on reconnect, before it reports ready.
        for (const u of USERS) await clients[u].whenReady(RECONNECT_TIMEOUT_MS)
      }

      // Each phase: talk in every known conversation, open one new conversation, and in
      // optional-e2ee upgrade the first server-side conversation we have.
      for (const t of tracked) await say(t, t.members[0], `hello again under ${policy}`)
      const fresh = phase === 0 ? [['alice', 'bob'], ['alice', 'carol']] : phase === 1 ? [['bob', 'carol']] : []
      for (const [a, b] of fresh as [User, User][]) {
        const t = await converse(a, b)
        console.log(`  opened ${t.name}: ${summary(t)}`)
        await say(t, a, `first message under ${policy}`)
      }
      if (policy === 'optional-e2ee') {
        const t = tracked.find((x) => summary(x) === 'server-side')
        if (t) {
          await t.convos[t.members[0]]!.upgradeToE2EE()
          console.log(`  ${t.members[0]} upgraded ${t.name} to end-to-end encryption`)
          await say(t, t.members[1], 'now only we can read this')
        }
      }
      await settle()

      console.log(`-- conversations after phase ${phase + 1} (${policy})`)
      for (const t of tracked) {
        const was = before.get(t.name)
        const now = summary(t)
        const what = !was ? 'new' : was === now ? 'unchanged' : 'changed'
        if (was === 'e2ee' && now !== 'e2ee') downgrades.push(`${t.name} in phase ${phase + 1}`)
        console.log(`  ${t.name.padEnd(12)} ${(was ?? '-').padEnd(11)} → ${now.padEnd(11)} ${what}`)
      }
      console.log(`-- notices received in phase ${phase + 1}`)
      for (const u of USERS) {
        const got = notices[u].slice(noticeMark[u])
        if (got.length === 0) console.log(`  ${u}: none`)
        for (const n of got) {
          const t = tracked.find((x) => x.members.some((m) => x.convos[m]?.id === n.conversationId))
          // The server sends a code; the words are the client's catalogue, the mode sentence follows u's pin.
          const pinned = t?.convos[u]?.encryption
          console.log(`  ${u} [${n.kind}] (${t?.name ?? 'all'}) ${noticeText(n, pinned ? { encryption: pinned } : {})}`)
        }
      }
      if (phase < opts.policies.length - 1) await stopServer(server)
    }
    if (downgrades.length) {
      console.log(`\nDOWNGRADED: ${downgrades.join(', ')}`)
      process.exitCode = 1
    } else console.log('\ndone: no conversation ever went from e2ee back to server-side.')
  } finally {
    for (const c of Object.values(clients)) await c.close().catch(() => {})
    if (server) await stopServer(server).catch(() => {})
    await rm(dataDir, { recursive: true, force: true })
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (e) => {
    console.error(`policy-switch failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`)
    process.exit(1)
  },
)
