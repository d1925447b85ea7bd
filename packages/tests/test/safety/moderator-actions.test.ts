/**
 * Moderator actions behave the same in every mode (issue 15): one suite over the three
 * policies, on PGlite and on PostgreSQL — suspend/unsuspend, revoke a device, close a
 * conversation, remove a message, the report queue and the audit log — with the same errors,
 * events and notices, driven through real clients. Controls show each action reached the
 * client it targets while the other party stays connected. A suspension made on one node
 * reaches the user's sockets on another (PostgreSQL + Redis).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  AccountSuspendedError, ConversationClosedError, DeviceRevokedError, ForbiddenError, NotFoundError, ParleyError, PluginFailedError,
  ReportResolvedError, type ModerationAction, type ModerationPlugin, type Notice, type Policy,
} from '@parley/protocol'
import { pgliteStore, postgresStore, type ParleyStore } from '@parley/server'
import { memoryKeyStore, type Conversation, type KeyStore, type ParleyClient } from '@parley/client'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy } from '../helpers/tamper-proxy.js'
import { freshDatabase, postgresAvailable } from '../../../server/test/helpers/postgres.js'
import { randomStreamName, REDIS_URL, redisAvailable } from '../../../server/test/helpers/redis.js'

const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
const pg = await postgresAvailable()
let db: Awaited<ReturnType<typeof freshDatabase>> | undefined
beforeAll(async () => {
  if (pg) db = await freshDatabase()
}, 60_000)
afterAll(async () => {
  await db?.drop()
})

const STORES: [string, () => Promise<ParleyStore>][] = [
  ['pglite', () => pgliteStore()],
  ...(pg ? [['postgres', () => postgresStore({ connectionString: db!.url })] as [string, () => Promise<ParleyStore>]] : []),
]

// One server (and store) per policy and store; each test brings its own users.
let server: TestServer | undefined
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients }))

async function rejection(p: Promise<unknown>): Promise<ParleyError> {
  try {
    await p
  } catch (e) {
    if (ParleyError.isInstance(e)) return e
    throw e
  }
  throw new Error('expected a typed rejection')
}

function keepOpen(store: KeyStore): KeyStore {
  return {
    kind: store.kind, get: (k) => store.get(k), set: (k, v) => store.set(k, v), delete: (k) => store.delete(k), keys: (p) => store.keys(p),
    saveChanges: (c) => store.saveChanges(c), close: async () => undefined,
  }
}

/** Two users in one conversation, with every notice each receives. */
async function world() {
  if (!server) throw new Error('no server')
  const tag = Math.random().toString(36).slice(2, 8)
  const [aliceId, bobId] = [`alice-${tag}`, `bob-${tag}`]
  const since = Date.now()
  const alice = await connect(server.url, aliceId)
  // Bob's keys outlive his first client (its close() would close the store), so he can come back.
  const bobStore = keepOpen(memoryKeyStore())
  const bob = await connect(server.url, bobId, { keyStore: bobStore })
  clients.push(alice, bob)
  const ca = await alice.conversations.open(bobId)
  const cb = await bob.conversations.open(aliceId)
  const notices: Record<'alice' | 'bob', Notice[]> = { alice: [], bob: [] }
  alice.on('notice', (n) => void notices.alice.push(n))
  bob.on('notice', (n) => void notices.bob.push(n))
  const received: string[] = []
  cb.on('message', (m) => m.status === 'received' && received.push(m.id))
  const audit = () => server!.parley.moderation.auditLog({ since })
  return { audit, parley: server.parley, url: server.url, aliceId, bobId, alice, bob, bobStore, ca, cb, notices, received }
}

async function sendAndWait(from: Conversation, received: string[], text: string): Promise<string> {
  const ack = await from.send({ text })
  await waitFor(() => received.includes(ack.messageId), 15_000, `"${text}" delivered`)
  return ack.messageId
}

/** A plugin that records every moderator action it is told of (the contract's `onModerationAction`). */
const watched: ModerationAction[] = []
const watcher: ModerationPlugin = { name: 'action-watcher', version: '1.0.0', specificationVersion: 'v1', onModerationAction: (a) => void watched.push(a) }
/** A plugin whose hook fails: the action must still land, and the failure reach `onError`. */
const broken: ModerationPlugin = { name: 'broken-sink', version: '1.0.0', onModerationAction: () => { throw new Error('ticketing system down') } }

describe.each(STORES)('moderator actions (%s)', (_store, open) => {
  describe.each(POLICIES)('under %s', (policy) => {
    beforeAll(async () => {
      server = await startServer({ policy, store: open(), plugins: [watcher, broken] })
    }, 60_000)
    afterAll(async () => {
      await closeAll({ clients, server })
      server = undefined
    })
    it('suspend: live sockets closed with account_suspended, new connections refused, unsuspend lets the user back', async () => {
      const w = await world()
      const drops: { reason: string; code?: string }[] = []
      w.bob.on('disconnect', (d) => void drops.push(d))
      const aliceDrops: unknown[] = []
      w.alice.on('disconnect', (d) => void aliceDrops.push(d))
      await sendAndWait(w.ca, w.received, 'before the suspension')

      const s = await w.parley.moderation.suspendUser(w.bobId, { reason: 'harassment campaign', by: 'mod-ann' })
      expect(s).toMatchObject({ userId: w.bobId, reason: 'harassment campaign', by: 'mod-ann' })
      await waitFor(() => drops.length > 0, 10_000, 'bob disconnected')
      expect(drops[0]).toEqual({ reason: 'io server disconnect', code: 'account_suspended' })
      // It stays away (no reconnect loop), and the other party is untouched.
      await new Promise((r) => setTimeout(r, 800))
      expect(w.bob.connected).toBe(false)
      expect(aliceDrops).toEqual([])
      // A new device of bob is refused at the handshake with the typed error.
      const refused = await rejection(connect(w.url, w.bobId))
      expect(AccountSuspendedError.isInstance(refused)).toBe(true)
      expect(refused.details).toEqual({ reason: 'harassment campaign' })

      expect(await w.parley.moderation.unsuspendUser(w.bobId, { reason: 'appeal granted' })).toBe(true)
      const back = await connect(w.url, w.bobId, { keyStore: w.bobStore })
      clients.push(back)
      await back.whenReady(15_000)
      expect((await w.audit()).map((e) => [e.action, e.target, e.actor])).toEqual([
        ['suspend_user', w.bobId, 'mod-ann'], ['unsuspend_user', w.bobId, 'operator'],
      ])
    }, 60_000)

    it('suspend: a socket opened before the suspension is refused when it says hello after it (control: not suspended, it gets in)', async () => {
      // Since review finding L4 the suspension closes every connection of the user, so this one
      // is usually closed (`account_suspended`) before its held hello goes out; a hello that
      // overtook the close would be refused (`AccountSuspendedError`). Either way: refused.
      const w = await world()
      await w.bob.close() // bob's keys stay (keepOpen); he comes back through a proxy that holds his hello
      const proxy = await startTamperProxy(w.url)
      try {
        for (const suspend of [false, true]) {
          let release!: () => void
          const held = new Promise<void>((r) => (release = r))
          let seen = false
          proxy.hooks.request = (event, frame) => {
            if (event !== 'hello') return frame
            seen = true
            return held.then(() => frame)
          }
          const errors: unknown[] = []
          const gone: { code?: string }[] = []
          const bob = await connect(proxy.url, w.bobId, { keyStore: w.bobStore })
          clients.push(bob)
          bob.on('error', (p) => void errors.push(p.error))
          bob.on('disconnect', (d) => void gone.push(d))
          await waitFor(() => seen, 10_000, 'the held hello')
          if (suspend) await w.parley.moderation.suspendUser(w.bobId, { reason: 'raid' })
          release()
          if (!suspend) {
            await bob.whenReady(15_000) // control: the same held hello gets in while bob is not suspended
            await bob.close()
            continue
          }
          await waitFor(() => errors.length > 0 || gone.length > 0, 10_000, 'hello refused or the socket closed')
          expect(errors.some((e) => AccountSuspendedError.isInstance(e)) || gone.some((d) => d.code === 'account_suspended')).toBe(true)
          // Refused, so not in bob's rooms: alice's messages never reach this socket.
          const got: string[] = []
          bob.on('message', (m) => void got.push(m.text))
          await w.ca.send({ text: 'to a suspended user' })
          await new Promise((r) => setTimeout(r, 500))
          expect(got).toEqual([])
        }
      } finally {
        await proxy.close()
      }
    }, 60_000)

    it('close a conversation: members told, every send refused with ConversationClosedError', async () => {
      const w = await world()
      await sendAndWait(w.ca, w.received, 'hello')
      const closure = await w.parley.moderation.closeConversation(w.ca.id, { reason: 'scam' })
      expect(closure).toMatchObject({ conversationId: w.ca.id, reason: 'scam', by: 'operator' })
      await waitFor(() => w.notices.alice.length > 0 && w.notices.bob.length > 0, 10_000, 'closure notices')
      for (const n of [w.notices.alice[0], w.notices.bob[0]]) expect(n).toEqual({ kind: 'conversation_closed', conversationId: w.ca.id, ts: closure.at })
      for (const c of [w.ca, w.cb]) {
        const e = await rejection(c.send({ text: 'after the close' }))
        expect(ConversationClosedError.isInstance(e)).toBe(true)
        // Typing (and receipts, mode changes) are refused the same way: nothing crosses a closed conversation.
        expect(ConversationClosedError.isInstance(await rejection(c.typing(true)))).toBe(true)
      }
      // Idempotent: closing again changes nothing and notifies nobody.
      expect(await w.parley.moderation.closeConversation(w.ca.id, { reason: 'again' })).toEqual(closure)
      await new Promise((r) => setTimeout(r, 300))
      expect(w.notices.bob).toHaveLength(1)
    }, 60_000)

    it('remove a message: gone from the server in every mode, members told which one', async () => {
      const w = await world()
      const id = await sendAndWait(w.ca, w.received, 'something vile')
      await w.parley.moderation.removeMessage(w.ca.id, id, { reason: 'hate speech' })
      await waitFor(() => w.notices.bob.some((n) => n.kind === 'message_removed'), 10_000, 'removal notice')
      expect(w.notices.bob.find((n) => n.kind === 'message_removed')).toMatchObject({ kind: 'message_removed', conversationId: w.ca.id, messageId: id })
      const rows = await w.parley.store().history(w.ca.id, { userId: w.bobId, deviceId: 'none' }, undefined, 10, Date.now())
      const row = rows.find((r) => r.message.id === id)
      expect(row?.message.deleted).toBe(true)
      expect(row?.message.sealedBody).toBeUndefined()
      const e = await rejection(w.parley.moderation.removeMessage(w.ca.id, 'm_unknown', { reason: 'x' }))
      expect(NotFoundError.isInstance(e)).toBe(true)
      expect((await w.audit()).map((a) => [a.action, a.details])).toEqual([['remove_message', { messageId: id }]])
    }, 60_000)

    it('revoke a device: disconnected with device_revoked, refused at hello when it comes back', async () => {
      const w = await world()
      const drops: { code?: string }[] = []
      w.bob.on('disconnect', (d) => void drops.push(d))
      const bobDevice = (await w.parley.store().listDevices(w.bobId))[0]!.deviceId
      await w.parley.moderation.revokeDevice(w.bobId, bobDevice, { reason: 'stolen phone' })
      await waitFor(() => drops.length > 0, 10_000, 'bob disconnected')
      expect(drops[0]?.code).toBe('device_revoked')
      await w.bob.close()
      const errors: unknown[] = []
      const again = await connect(w.url, w.bobId, { keyStore: w.bobStore })
      clients.push(again)
      again.on('error', (p) => void errors.push(p.error))
      await waitFor(() => errors.length > 0, 10_000, 'hello refused')
      expect(DeviceRevokedError.isInstance(errors[0])).toBe(true)
      expect(again.connected).toBe(false)
    }, 60_000)

    it('report queue: a user report is listed open, resolved once, with the same shape in every mode', async () => {
      const w = await world()
      await sendAndWait(w.ca, w.received, 'buy my crypto course')
      const result = await w.cb.report({ reason: 'spam' })
      const [queued] = await w.parley.moderation.listReports({ status: 'open' })
      expect(queued).toEqual({ reporterUserId: w.bobId, reportId: result.reportId, conversationId: w.ca.id, receivedAt: expect.any(Number), status: 'open' })
      const done = await w.parley.moderation.resolveReport(result.reportId, { reporterUserId: w.bobId, resolution: 'sender warned', note: 'first time' })
      expect(done).toMatchObject({ status: 'resolved', resolution: 'sender warned', note: 'first time', resolvedBy: 'operator' })
      expect(ReportResolvedError.isInstance(await rejection(w.parley.moderation.resolveReport(result.reportId, { reporterUserId: w.bobId, resolution: 'again' })))).toBe(true)
      expect(NotFoundError.isInstance(await rejection(w.parley.moderation.resolveReport('r_nope', { reporterUserId: w.bobId, resolution: 'x' })))).toBe(true)
      expect(await w.parley.moderation.listReports({ status: 'open' })).toEqual([])
      expect((await w.audit()).map((a) => a.action)).toEqual(['resolve_report'])
    }, 60_000)

    it('bad input: unknown user, empty reason, a suspended moderator — typed errors, nothing written', async () => {
      const w = await world()
      expect(NotFoundError.isInstance(await rejection(w.parley.moderation.suspendUser('nobody-here', { reason: 'x' })))).toBe(true)
      await expect(w.parley.moderation.suspendUser(w.bobId, { reason: '' })).rejects.toThrow(TypeError)
      await expect(w.parley.moderation.suspendUser(w.bobId, { reason: 'x', until: 1 })).rejects.toThrow(RangeError)
      await w.parley.moderation.suspendUser(w.aliceId, { reason: 'compromised moderator account' })
      expect(ForbiddenError.isInstance(await rejection(w.parley.moderation.closeConversation(w.ca.id, { reason: 'x', by: w.aliceId })))).toBe(true)
      expect((await w.audit()).map((a) => a.action)).toEqual(['suspend_user'])
    }, 60_000)

    it('onModerationAction: the server option and every plugin see each committed action as the audit log has it; a failing hook changes nothing', async () => {
      const w = await world()
      const since = server!.actions.length
      const seenBefore = watched.length
      const errorsBefore = server!.errors.length
      const id = await sendAndWait(w.ca, w.received, 'reported line')
      const { reportId } = await w.cb.report({ reason: 'spam' })
      await w.parley.moderation.removeMessage(w.ca.id, id, { reason: 'spam', by: 'mod-bo' })
      await w.parley.moderation.suspendUser(w.aliceId, { reason: 'spam wave', until: Date.now() + 60_000 })
      await w.parley.moderation.unsuspendUser(w.aliceId, { reason: 'appeal' })
      // Nothing to lift, nothing written: no event either.
      expect(await w.parley.moderation.unsuspendUser(w.aliceId, { reason: 'again' })).toBe(false)
      await w.parley.moderation.resolveReport(reportId, { reporterUserId: w.bobId, resolution: 'message removed' })
      await w.parley.moderation.closeConversation(w.ca.id, { reason: 'spam' })
      await w.parley.moderation.closeConversation(w.ca.id, { reason: 'already closed' })
      // A refused action (typed error) is not announced.
      await rejection(w.parley.moderation.resolveReport(reportId, { reporterUserId: w.bobId, resolution: 'twice' }))

      const log = (await w.audit()).map(({ id: _id, ...rest }) => rest)
      expect(log.map((a) => a.action)).toEqual(['remove_message', 'suspend_user', 'unsuspend_user', 'resolve_report', 'close_conversation'])
      expect(server!.actions.slice(since)).toEqual(log)
      expect(watched.slice(seenBefore)).toEqual(log)
      // The broken plugin failed once per action, each failure typed and reported, none fatal.
      const failures = server!.errors.slice(errorsBefore).filter((e) => PluginFailedError.isInstance(e))
      expect(failures).toHaveLength(log.length)
      expect((failures[0] as PluginFailedError).details).toEqual({ plugin: 'broken-sink', hook: 'onModerationAction' })
    }, 60_000)
  })
})

const redis = await redisAvailable()
describe.skipIf(!pg || !redis)('suspension across two nodes (PostgreSQL + Redis)', () => {
  it('suspending on node A closes the user’s sockets on node B and node B refuses them too', async () => {
    const streamName = randomStreamName()
    const open = () => postgresStore({ connectionString: db!.url })
    const nodeA = await startServer({ policy: 'default-e2ee', store: open(), redis: { url: REDIS_URL, streamName } })
    const nodeB = await startServer({ policy: 'default-e2ee', store: open(), redis: { url: REDIS_URL, streamName } })
    try {
      const tag = Math.random().toString(36).slice(2, 8)
      const carol = await connect(nodeA.url, `carol-${tag}`)
      const dave = await connect(nodeB.url, `dave-${tag}`)
      clients.push(carol, dave)
      const drops: { code?: string }[] = []
      dave.on('disconnect', (d) => void drops.push(d))
      const carolDrops: unknown[] = []
      carol.on('disconnect', (d) => void carolDrops.push(d))
      await nodeA.parley.moderation.suspendUser(`dave-${tag}`, { reason: 'ban evasion' })
      await waitFor(() => drops.length > 0, 10_000, 'dave disconnected on node B')
      expect(drops[0]?.code).toBe('account_suspended')
      const refused = await rejection(connect(nodeB.url, `dave-${tag}`))
      expect(AccountSuspendedError.isInstance(refused)).toBe(true)
      // Control: carol, on node A, is untouched.
      expect(carolDrops).toEqual([])
      expect(carol.connected).toBe(true)
    } finally {
      await closeAll({ clients })
      await nodeA.close()
      await nodeB.close()
    }
  }, 60_000)
})

describe.each(POLICIES)('disclosure export under %s (PGlite)', (policy) => {
  it('metadata always; bodies only for messages stored server-side; E2EE only sizes; the reports users filed', async () => {
    server = await startServer({ policy, store: pgliteStore() })
    try {
      const w = await world()
      await sendAndWait(w.ca, w.received, 'a readable line unless end-to-end encrypted')
      const result = await w.cb.report({ reason: 'spam' })
      await w.bob.users.block(w.aliceId)
      const out = await w.parley.disclosure.export({ userId: w.bobId, reason: 'court order 2026-17', by: 'legal-team' })
      // The safety state the server holds for the user is part of what it holds.
      expect(out.safety?.blocked.map((b) => b.userId)).toEqual([w.aliceId])
      expect(out.scope).toMatchObject({ userId: w.bobId, from: 0 })
      expect(out.conversations).toHaveLength(1)
      const c = out.conversations[0]!
      expect(c).toMatchObject({ conversationId: w.ca.id, kind: 'direct', members: [w.aliceId, w.bobId].sort(), encryption: w.ca.encryption })
      const m = c.messages.find((x) => x.kind === 'message')!
      expect(m.sender.userId).toBe(w.aliceId)
      if (w.ca.encryption === 'server-side') {
        expect(m).toMatchObject({ mode: 'server-side', body: { text: 'a readable line unless end-to-end encrypted' } })
        expect(m.ciphertextBytes).toBeUndefined()
      } else {
        expect(m.mode).toBe('e2ee')
        expect(m.body).toBeUndefined()
        expect(m.envelopes).toBeGreaterThan(0)
        expect(m.ciphertextBytes).toBeGreaterThan(0)
        expect(JSON.stringify(c.messages)).not.toContain('a readable line')
      }
      // The user's report carries what the reporter chose to share, verified, in every mode.
      expect(c.reports.map((r) => [r.reportId, r.entries.some((e) => e.text === 'a readable line unless end-to-end encrypted')])).toEqual([[result.reportId, true]])
      expect((await w.audit()).map((a) => [a.action, a.actor, a.reason])).toEqual([['disclosure_export', 'legal-team', 'court order 2026-17']])
      await expect(w.parley.disclosure.export({ conversationId: 'c_unknown', reason: 'x' })).rejects.toThrow(NotFoundError)
      await expect(w.parley.disclosure.export({ userId: w.bobId, reason: '' })).rejects.toThrow(TypeError)
    } finally {
      await closeAll({ clients, server })
      server = undefined
    }
  }, 60_000)
})
