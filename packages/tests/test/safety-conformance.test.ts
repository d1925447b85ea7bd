/**
 * Cross-mode conformance of the safety controls (issue 15, part A; docs/safety-controls.md):
 * block / unblock / the blocked list, mute, message requests and the server's `canMessage`
 * rule. ONE suite, run unchanged in each policy (server-side; optional-e2ee with the
 * conversations upgraded; default-e2ee) on PGlite and on PostgreSQL (skipped with a printed
 * reason when unreachable, failing under CI=true), with real clients against a real server.
 * Each case records what the users observed with run-dependent ids replaced; the last test
 * checks every mode and store recorded exactly the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { ForbiddenError, MessagingDeniedError, NotFoundError, ParleyError, PeerBlockedError, toBase64 } from '@parley/protocol'
import { frankMessage } from '@parley/crypto'
import type { Conversation, Message, ParleyClient } from '@parley/client'
import { fullHistory, waitFor } from './helpers/parley.js'
import { PGLITE, POSTGRES, SAFETY_MODES, postgresUp, startSafetyWorld, type RawSocket, type SafetyWorld } from './helpers/safety-world.js'

const pgUp = await postgresUp('the safety conformance suite')
const CASES = SAFETY_MODES.flatMap((mode) => [PGLITE, POSTGRES].map((store) => ({
  name: `${mode.name} on ${store.name}`, mode, store, skip: store.name === 'postgres' && !pgUp,
})))

/** What each case observed, compared across cases at the end. */
const recorded = new Map<string, Record<string, unknown>>()

/** Resolves with the next incoming message of `c` with `text` (listen before sending). */
function incoming(c: Conversation, text: string, ms = 15_000): Promise<Message> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off()
      reject(new Error(`"${text}" not received`))
    }, ms)
    const off = c.on('message', (m) => {
      if (m.status !== 'received' || m.text !== text) return
      clearTimeout(timer)
      off()
      resolve(m)
    })
  })
}

/** The typed error a promise rejects with, as `{ code, details }`. */
async function failure(p: Promise<unknown>): Promise<{ code: string; details: unknown; error: ParleyError }> {
  const e = await p.then(() => null, (x: unknown) => x)
  if (!ParleyError.isInstance(e)) throw new Error(`expected a ParleyError, got ${String(e)}`)
  return { code: e.code, details: e.details, error: e }
}

const texts = (ms: Message[]) => ms.map((m) => m.text)

describe.each(CASES)('safety conformance: $name', ({ name, mode, store, skip }) => {
  let w: SafetyWorld
  let alice2: ParleyClient
  const outcome: Record<string, unknown> = {}
  if (!skip) recorded.set(name, outcome)
  let fences = 0
  const client = (u: string) => w.clients[u]!

  beforeAll(async () => {
    if (skip) return
    w = await startSafetyWorld(mode, store)
    for (const u of ['alice', 'bob', 'carol', 'dana', 'erin', 'fred', 'gail', 'mallory']) await w.add(u)
    alice2 = await w.link('alice')
  }, 120_000)
  afterAll(async () => {
    await w?.close()
  })

  /** `from` writes to `to` over their own conversation; once `to` has it, anything sent to `to` earlier has arrived. */
  async function fence(from: Conversation, to: Conversation[]): Promise<void> {
    const text = `fence ${++fences}`
    const arrived = to.map((c) => incoming(c, text))
    await from.send({ text })
    await Promise.all(arrived)
  }

  /** Alice's side of a conversation on her second device. */
  async function onAlice2(id: string): Promise<Conversation> {
    await waitFor(() => alice2.conversations.get(id) !== undefined, 10_000, 'alice2 knows the conversation')
    return alice2.conversations.get(id)!
  }

  it.skipIf(skip)('block: synced to the blocker\'s other device; the blocked user\'s sends look delivered and never arrive; no typing or receipts either way; the blocker is told; earlier messages stay reportable', async () => {
    const [cb, ca] = await w.open('bob', 'alice')
    const ca2 = await onAlice2(ca.id)
    const [, cac] = await w.open('carol', 'alice')
    const cac2 = await onAlice2(cac.id)
    const atAlice: string[] = []
    for (const c of [ca, ca2]) c.on('message', (m) => void (m.status === 'received' && atAlice.push(m.text)))
    const typingAtAlice: unknown[] = []
    ca.on('typing', (t) => void typingAtAlice.push(t))
    const receiptsAtBob: unknown[] = []
    cb.on('receipt', (r) => void receiptsAtBob.push(r))

    // Control: before the block, messages, typing and receipts flow.
    const first = [incoming(ca, 'before 1'), incoming(ca2, 'before 1')]
    await cb.send({ text: 'before 1' })
    await Promise.all(first)
    await cb.typing(true)
    await waitFor(() => typingAtAlice.length === 1, 10_000, 'typing before the block')
    expect(await ca.markRead()).toBe(1)
    await waitFor(() => receiptsAtBob.length === 1, 10_000, 'a receipt before the block')
    const second = incoming(ca, 'before 2')
    await cb.send({ text: 'before 2' })
    await second

    // Alice blocks bob on her first device; the second learns it.
    const onSecond: unknown[] = []
    alice2.on('block', (e) => void onSecond.push(e))
    await client('alice').users.block('bob')
    await waitFor(() => onSecond.length === 1, 10_000, 'the block reaches alice2')
    expect(alice2.users.isBlocked('bob')).toBe(true)
    const list = await alice2.users.blocked()
    expect(list.map((b) => b.userId)).toEqual(['bob'])
    expect(list[0]!.since).toBeGreaterThan(0)

    // Bob is not told: his send resolves like any other; his typing is acked.
    const ack = await cb.send({ text: 'during the block' })
    expect(ack.conversationId).toBe(cb.id)
    expect(ack.seq).toBeGreaterThan(0)
    await cb.typing(true)
    expect(await ca.markRead()).toBe(1) // 'before 2': its receipt must not reach bob
    const [ccar] = [client('carol').conversations.get(cac.id)!]
    await fence(ccar, [cac, cac2])
    expect(atAlice.sort()).toEqual(['before 1', 'before 1', 'before 2', 'before 2'])
    expect(typingAtAlice).toHaveLength(1)
    expect(receiptsAtBob).toHaveLength(1)
    const aliceHistory = texts(await fullHistory(client('alice'), ca.id))
    expect(aliceHistory).toEqual(['before 1', 'before 2'])
    expect(texts(await fullHistory(client('bob'), cb.id))).toEqual(['before 1', 'before 2', 'during the block'])

    // The blocker is told when it writes to the user it blocks; nothing stays queued.
    const blocked = await failure(ca.send({ text: 'to bob' }))
    expect(PeerBlockedError.isInstance(blocked.error)).toBe(true)
    expect(await client('alice').pendingCount()).toBe(0)

    // What alice received before the block stays reportable, verified.
    const report = await ca.report({ reason: 'harassment' })
    // The two messages and, between them, alice's signed read receipt (a franked message at its own seq; docs/messages.md).
    expect(report).toMatchObject({ duplicate: false, verifiedEntries: 3, totalEntries: 3 })

    outcome.block = {
      secondDevice: onSecond, list: list.map((b) => b.userId), ackKeys: Object.keys(ack).sort(), aliceHistory,
      peerBlocked: { code: blocked.code, details: blocked.details }, report: { verified: report.verifiedEntries, total: report.totalEntries },
    }
  }, 60_000)

  it.skipIf(skip)('unblock: later messages arrive, the one sent during the block never does, and a report across it has no gap', async () => {
    const ca = client('alice').conversations.open('bob')
    const c = await ca
    const cb = client('bob').conversations.get(c.id)!
    const onFirst: unknown[] = []
    client('alice').on('block', (e) => void onFirst.push(e))
    await alice2.users.unblock('bob')
    await waitFor(() => onFirst.length === 1, 10_000, 'the unblock reaches alice')
    expect(client('alice').users.isBlocked('bob')).toBe(false)
    expect(await client('alice').users.blocked()).toEqual([])
    const after = incoming(c, 'after the block')
    await cb.send({ text: 'after the block' })
    await after
    const history = texts(await fullHistory(client('alice'), c.id))
    expect(history).toEqual(['before 1', 'before 2', 'after the block'])
    const before = w.reports.length
    const report = await c.report({ reason: 'harassment, again' })
    expect(report).toMatchObject({ verifiedEntries: 4, totalEntries: 4 }) // three messages and alice's read receipt
    await waitFor(() => w.reports.length > before, 10_000, 'onReport')
    const transcript = w.reports[w.reports.length - 1]!.transcript
    expect(transcript).toEqual({ verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 })
    outcome.unblock = { event: onFirst, history, transcript }
  }, 60_000)

  it.skipIf(skip)('hostile: the blocked user\'s raw socket sends never reach the blocker\'s devices — live, on sync or in history — while the same frames do when not blocked', async () => {
    const c = await client('alice').conversations.open('bob')
    const aliceDevices = [client('alice').deviceId, alice2.deviceId].map((deviceId) => ({ userId: 'alice', deviceId }))
    const bobRaw: RawSocket = await w.raw('bob')
    const aliceRaw: RawSocket = await w.raw('alice')
    /** A hand-built frame: readable, or E2EE with opaque envelopes (the server cannot tell them from real ones). */
    const frame = (text: string, to = aliceDevices) => {
      const { nf, tf } = frankMessage({ text, attachments: [] })
      const clientMessageId = `raw-${randomBytes(6).toString('hex')}`
      return mode.conversation === 'server-side'
        ? { conversationId: c.id, clientMessageId, tf, mode: 'server-side', body: { text, attachments: [], nf } }
        : { conversationId: c.id, clientMessageId, tf, mode: 'e2ee', attachments: [], envelopes: to.map((d) => ({ ...d, type: 'message', ciphertext: toBase64(new Uint8Array(randomBytes(96))) })) }
    }
    const delivered = (id: string) => aliceRaw.received('message').some((d) => (d as { messageId: string }).messageId === id)
    const idOf = (r: { ok: boolean; data?: unknown; error?: unknown }) => {
      if (!r.ok) throw new Error(`raw send refused: ${JSON.stringify(r.error)}`)
      return (r.data as { messageId: string }).messageId
    }
    const codeOf = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'accepted' : r.error!.code)
    const cac = client('alice').conversations.open('carol')
    const fenceFrom = client('carol').conversations.get((await cac).id)!

    const shortCodes: string[] = []
    const control = idOf(await bobRaw.request('message.send', frame('raw control')))
    await waitFor(() => delivered(control), 10_000, 'the control frame reaches alice')
    if (mode.conversation === 'e2ee') shortCodes.push(codeOf(await bobRaw.request('message.send', frame('short', aliceDevices.slice(1)))))

    await client('alice').users.block('bob')
    const sent = await bobRaw.request('message.send', frame('raw while blocked'))
    const withheld = idOf(sent)
    if (mode.conversation === 'e2ee') shortCodes.push(codeOf(await bobRaw.request('message.send', frame('short', aliceDevices.slice(1)))))
    const typing = await bobRaw.request('typing.send', { conversationId: c.id, typing: true })
    await fence(fenceFrom, [await cac])
    expect(delivered(withheld)).toBe(false)
    expect(aliceRaw.received('typing')).toEqual([])
    const sync = await aliceRaw.request<{ deliveries: { messageId: string }[] }>('inbox.sync', { after: 0 })
    const history = await aliceRaw.request<{ messages: { messageId: string }[] }>('history.fetch', { conversationId: c.id, limit: 100 })
    const ids = (r: typeof sync | typeof history) => (r.ok ? ('deliveries' in r.data ? r.data.deliveries : r.data.messages).map((d) => d.messageId) : [])
    expect(ids(sync)).toContain(control)
    expect(ids(sync)).not.toContain(withheld)
    expect(ids(history)).toContain(control)
    expect(ids(history)).not.toContain(withheld)
    await client('alice').users.unblock('bob')
    bobRaw.close()
    aliceRaw.close()
    // A modified client learns nothing from envelope coverage: leaving one of alice's devices out is refused either way.
    if (mode.conversation === 'e2ee') expect(shortCodes).toEqual(['invalid_device_list', 'invalid_device_list'])
    outcome.hostile = { ackWhileBlocked: sent.ok, typingAck: typing.ok }
  }, 60_000)

  it.skipIf(skip)('mute: synced to the user\'s other device, private to the user', async () => {
    const ca = await client('alice').conversations.open('carol')
    const ca2 = await onAlice2(ca.id)
    const cc = client('carol').conversations.get(ca.id)!
    const events: unknown[] = []
    ca2.on('mute', (e) => void events.push(e))
    const carolEvents: unknown[] = []
    client('carol').on('mute', (e) => void carolEvents.push(e))
    expect(ca.muted).toBe(false)
    await ca.mute()
    expect(ca.muted).toBe(true)
    await waitFor(() => ca2.muted, 10_000, 'alice2 sees the mute')
    await ca2.unmute()
    await waitFor(() => !ca.muted, 10_000, 'alice sees the unmute')
    await ca2.unmute()
    expect(cc.muted).toBe(false)
    expect(carolEvents).toEqual([])
    outcome.mute = { events: (events as { muted: boolean }[]).map((e) => e.muted) }
  }, 60_000)

  it.skipIf(skip)('message requests: a first contact arrives as a request (listed, marked); no typing or receipts until accepted; decline, re-open, report, accept', async () => {
    w.rules.set('erin>dana', 'request')
    const dana = client('dana')
    const requestEvents: unknown[] = []
    dana.on('request', (e) => void requestEvents.push({ ...e, conversationId: 'c' }))
    const [ce, cd] = await w.open('erin', 'dana')
    expect(cd.request).toBe('pending')
    expect(ce.request).toBeNull()
    const hello = incoming(cd, 'hello dana')
    await ce.send({ text: 'hello dana' })
    const m = await hello
    expect(m.request).toBe(true)
    const listed = await dana.requests.list()
    expect(listed.map((r) => [r.userId, r.state, r.conversation === cd])).toEqual([['erin', 'pending', true]])

    // No typing or receipts either way while it is a request.
    const receiptsAtErin: unknown[] = []
    const typingAtErin: unknown[] = []
    const typingAtDana: unknown[] = []
    ce.on('receipt', (r) => void receiptsAtErin.push(r))
    ce.on('typing', (t) => void typingAtErin.push(t))
    cd.on('typing', (t) => void typingAtDana.push(t))
    expect(await cd.markRead()).toBe(1)
    await cd.typing(true)
    await ce.typing(true)
    const [cce, cec] = await w.open('carol', 'erin')
    const [ccd, cdc] = await w.open('carol', 'dana')
    await fence(cce, [cec])
    await fence(ccd, [cdc])
    expect([receiptsAtErin, typingAtErin, typingAtDana]).toEqual([[], [], []])

    // Declined: out of the list; the requester's next message makes it pending again.
    await listed[0]!.decline()
    expect(cd.request).toBe('declined')
    expect(await dana.requests.list()).toEqual([])
    expect((await dana.requests.list({ includeDeclined: true })).map((r) => r.state)).toEqual(['declined'])
    const again = incoming(cd, 'please answer')
    await ce.send({ text: 'please answer' })
    expect((await again).request).toBe(true)
    await waitFor(() => cd.request === 'pending', 10_000, 'pending again')

    // A report from a request is any report: verified like the rest.
    const [pending] = await dana.requests.list()
    const report = await pending!.report({ reason: 'unwanted' })
    expect(report).toMatchObject({ verifiedEntries: 2, totalEntries: 2 })

    // Accepted: typing and receipts flow; acting on it again is a typed error.
    await pending!.accept()
    expect(cd.request).toBeNull()
    expect(await dana.requests.list()).toEqual([])
    const stale = await failure(pending!.accept())
    expect(NotFoundError.isInstance(stale.error)).toBe(true)
    const now = incoming(cd, 'thanks')
    await ce.send({ text: 'thanks' })
    expect((await now).request).toBeUndefined()
    await cd.markRead()
    await waitFor(() => receiptsAtErin.length === 1, 10_000, 'a receipt after accepting')
    await cd.typing(true)
    await waitFor(() => typingAtErin.length === 1, 10_000, 'typing after accepting')
    outcome.requests = { events: requestEvents, notFound: { code: stale.code, details: { ...(stale.details as object), id: 'c' } }, report: report.verifiedEntries }
  }, 90_000)

  it.skipIf(skip)('message requests: replying accepts; request.block() blocks and declines, and the sender\'s later messages never arrive', async () => {
    w.rules.set('fred>dana', 'request')
    w.rules.set('gail>dana', 'request')
    const dana = client('dana')
    const [cg, cdg] = await w.open('gail', 'dana')
    const hi = incoming(cdg, 'hi from gail')
    await cg.send({ text: 'hi from gail' })
    await hi
    expect(cdg.request).toBe('pending')
    const reply = incoming(cg, 'hi gail')
    await cdg.send({ text: 'hi gail' })
    await reply
    await waitFor(() => cdg.request === null, 10_000, 'the reply accepts')

    const [cf, cdf] = await w.open('fred', 'dana')
    const hey = incoming(cdf, 'hey')
    await cf.send({ text: 'hey' })
    await hey
    const fromFred = (await dana.requests.list()).find((r) => r.userId === 'fred')!
    await fromFred.block()
    expect(dana.users.isBlocked('fred')).toBe(true)
    expect(cdf.request).toBe('declined')
    expect((await dana.requests.list({ includeDeclined: true })).map((r) => r.userId)).toEqual([])
    const atDana: string[] = []
    cdf.on('message', (m) => void atDana.push(m.text))
    await cf.send({ text: 'are you there' })
    const cdc = dana.conversations.list().then((cs) => cs.find((c) => c.members.includes('carol'))!)
    await fence(client('carol').conversations.get((await cdc).id)!, [await cdc])
    expect(atDana).toEqual([])
    outcome.replyAndBlock = { afterReply: cdg.request, afterBlock: cdf.request }
  }, 90_000)

  it.skipIf(skip)('canMessage deny: MessagingDeniedError at open and at send, the same in every mode, nothing stored', async () => {
    w.rules.set('mallory>dana', 'deny')
    const mallory = client('mallory')
    const atOpen = await failure(mallory.conversations.open('dana'))
    expect(MessagingDeniedError.isInstance(atOpen.error)).toBe(true)
    expect(await mallory.conversations.list()).toEqual([])
    // Applied at every send: a conversation opened while allowed refuses the next send once denied.
    const [cg] = [await client('gail').conversations.open('dana')]
    w.rules.set('gail>dana', 'deny')
    const atSend = await failure(cg.send({ text: 'denied now' }))
    expect(MessagingDeniedError.isInstance(atSend.error)).toBe(true)
    expect(await client('gail').pendingCount()).toBe(0)
    expect(texts(await fullHistory(client('dana'), cg.id))).not.toContain('denied now')
    w.rules.delete('gail>dana')
    outcome.deny = { atOpen: { code: atOpen.code, details: atOpen.details, message: atOpen.error.message }, atSend: { code: atSend.code, details: atSend.details, message: atSend.error.message } }
  }, 60_000)

  it.skipIf(skip)('bad input: blocking oneself or an unknown user is a typed error and writes nothing', async () => {
    const alice = client('alice')
    const self = await failure(alice.users.block('alice'))
    const unknown = await failure(alice.users.block('nobody-here'))
    const unknownUnblock = await failure(alice.users.unblock('nobody-here'))
    expect(ForbiddenError.isInstance(self.error)).toBe(true)
    expect(NotFoundError.isInstance(unknown.error)).toBe(true)
    await expect(alice.users.block('')).rejects.toThrow(TypeError)
    expect(await alice.users.blocked()).toEqual([])
    expect(await alice2.users.blocked()).toEqual([])
    outcome.badInput = [self, unknown, unknownUnblock].map((f) => ({ code: f.code, details: f.details }))
  }, 30_000)
})

describe('safety conformance: every mode and store', () => {
  it('recorded exactly the same observations', () => {
    const all = [...recorded.entries()]
    expect(all.length).toBeGreaterThanOrEqual(3)
    const [[firstName, first], ...rest] = all
    expect(Object.keys(first!).sort()).toEqual(['badInput', 'block', 'deny', 'hostile', 'mute', 'replyAndBlock', 'requests', 'unblock'])
    for (const [n, o] of rest) expect({ case: n, ...o }).toEqual({ case: n, ...first })
    expect(firstName).toBeDefined()
  })
})
