/**
 * Safety controls on the wire (issue 15, part A; docs/decisions/0005), with raw sockets so
 * every frame is exact: a silent block (a blocked user's raw sends are acked and never reach the
 * blocker's devices, live, on sync or in history — with the same sends reaching them as the
 * control when not blocked), typed errors for bad input with nothing written, `canMessage`
 * failing closed, message requests, mute sync and paging. The cross-mode suite with real
 * clients is `packages/tests/test/safety-conformance.test.ts`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { CanMessageDecision, ClientFrame, ConversationInfo, Delivery, Policy } from '@parley/protocol'
import { CAN_MESSAGE_TIMEOUT_MS } from '../src/options.js'
import { Collector, connectDevice, errorCode, ok, type TestDevice } from './helpers/client.js'
import { e2eeSend, makeTestUser, plainSend, type TestUser } from './helpers/device.js'
import { startTestServer, type TestServer } from './helpers/server.js'

const open: { close(): unknown }[] = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close()
})

async function server(options: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const s = await startTestServer(options)
  open.push(s)
  return s
}

async function device(url: string, user: TestUser, index = 0): Promise<TestDevice> {
  const d = await connectDevice(url, user, index)
  open.push(d)
  return d
}

const textOf = (d: Delivery) => d.body?.text ?? Buffer.from(d.envelope?.ciphertext ?? '', 'base64').toString().split('|')[0]

/** A send from `from` into `c`, addressed to every other device of both users when E2EE. */
function sendFrame(c: ConversationInfo, text: string, others: { userId: string; deviceId: string }[]): ClientFrame<'message.send'> {
  return c.encryption === 'e2ee' ? e2eeSend(c.id, text, others) : plainSend(c.id, text)
}

describe.each(['server-side', 'default-e2ee'] as Policy[])('silent block under %s', (policy) => {
  it('a blocked user\'s raw sends, typing, receipts and deletes never reach the blocker\'s devices; the same frames do when not blocked', async () => {
    const s = await server({ policy })
    const alice = makeTestUser(2)
    const bob = makeTestUser(2)
    const carol = makeTestUser(1)
    const [a1, a2, b1, b2, c1] = [await device(s.url, alice, 0), await device(s.url, alice, 1), await device(s.url, bob, 0), await device(s.url, bob, 1), await device(s.url, carol, 0)]
    const { conversation: ab } = await ok(b1.socket, 'conversation.open', { peerUserId: alice.userId })
    const { conversation: ac } = await ok(c1.socket, 'conversation.open', { peerUserId: alice.userId })
    const aliceDevices = [{ userId: alice.userId, deviceId: 'd1' }, { userId: alice.userId, deviceId: 'd2' }]
    const fromBob = [...aliceDevices, { userId: bob.userId, deviceId: 'd2' }]
    const typingA = new Collector(a1.socket, 'typing')
    const receiptsB = new Collector(b1.socket, 'receipt')
    const deletedA = new Collector(a1.socket, 'message.deleted')
    let fences = 0
    /** Carol writes to alice; once both of alice's devices have it, anything sent to them before has arrived. */
    const fence = async () => {
      const text = `fence ${++fences}`
      await ok(c1.socket, 'message.send', sendFrame(ac, text, aliceDevices))
      for (const d of [a1, a2]) await d.messages.until((items) => items.some((m) => textOf(m) === text))
    }

    // Control: before the block, bob's send, typing and receipts reach alice.
    const before = await ok(b1.socket, 'message.send', sendFrame(ab, 'before the block', fromBob))
    for (const d of [a1, a2]) await d.messages.until((items) => items.some((m) => m.messageId === before.messageId))
    await ok(b1.socket, 'typing.send', { conversationId: ab.id, typing: true })
    await typingA.count(1)
    await ok(a1.socket, 'receipt.send', { conversationId: ab.id, messageIds: [before.messageId], status: 'read' })
    await receiptsB.count(1)
    // Control: leaving alice's envelopes out is refused while she does not block bob.
    if (ab.encryption === 'e2ee') expect(await errorCode(b1.socket, 'message.send', sendFrame(ab, 'short', [{ userId: bob.userId, deviceId: 'd2' }]))).toBe('invalid_device_list')

    const blockedChanged = new Collector(a2.socket, 'block.changed')
    const ownChanged = new Collector(a1.socket, 'block.changed')
    const blocked = await ok(a1.socket, 'block.add', { userId: bob.userId })
    expect(blocked).toMatchObject({ userId: bob.userId, blocked: true })
    expect((await blockedChanged.count(1))[0]).toEqual({ userId: bob.userId, blocked: true, ts: blocked.since })

    // The blocked user is not told: the ack looks like any other, and bob's other device gets the message.
    const during = await ok(b1.socket, 'message.send', sendFrame(ab, 'during the block', fromBob))
    expect(during).toMatchObject({ conversationId: ab.id, seq: before.seq + 1, clientMessageId: expect.any(String) })
    expect(during.franking.rf).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    await b2.messages.until((items) => items.some((m) => m.messageId === during.messageId))
    // Same as without a block: a frame leaving the blocker's envelopes out is refused, so envelope coverage tells nothing.
    if (ab.encryption === 'e2ee') expect(await errorCode(b1.socket, 'message.send', sendFrame(ab, 'short', [{ userId: bob.userId, deviceId: 'd2' }]))).toBe('invalid_device_list')
    await ok(b1.socket, 'typing.send', { conversationId: ab.id, typing: false })
    await ok(a1.socket, 'receipt.send', { conversationId: ab.id, messageIds: [before.messageId], status: 'delivered' })
    await ok(b1.socket, 'message.delete', { conversationId: ab.id, messageId: before.messageId })
    await fence()
    for (const d of [a1, a2]) expect(d.messages.items.some((m) => m.messageId === during.messageId)).toBe(false)
    expect(typingA.items).toHaveLength(1)
    expect(deletedA.items).toHaveLength(0)
    expect(receiptsB.items).toHaveLength(1)
    // Not on catch-up, not in history.
    const synced = await ok(a2.socket, 'inbox.sync', { after: 0 })
    expect(synced.deliveries.map((d) => d.messageId)).not.toContain(during.messageId)
    expect((await ok(a1.socket, 'history.fetch', { conversationId: ab.id })).messages.map((m) => m.messageId)).not.toContain(during.messageId)
    expect((await ok(b1.socket, 'history.fetch', { conversationId: ab.id })).messages.map((m) => m.messageId)).toContain(during.messageId)
    // The blocker is told when it tries to send to the user it blocks.
    expect(await errorCode(a1.socket, 'message.send', sendFrame(ab, 'to bob', [{ userId: alice.userId, deviceId: 'd2' }, ...bob.devices.map((d) => ({ userId: bob.userId, deviceId: d.deviceId }))]))).toBe('peer_blocked')

    // Unblock: later sends arrive; the one sent during the block never does.
    await ok(a2.socket, 'block.remove', { userId: bob.userId })
    expect((await ownChanged.count(1))[0]).toMatchObject({ userId: bob.userId, blocked: false })
    const after = await ok(b1.socket, 'message.send', sendFrame(ab, 'after the block', fromBob))
    for (const d of [a1, a2]) await d.messages.until((items) => items.some((m) => m.messageId === after.messageId))
    const history = (await ok(a1.socket, 'history.fetch', { conversationId: ab.id })).messages.map((m) => m.messageId)
    expect(history).toContain(after.messageId)
    expect(history).not.toContain(during.messageId)
    expect(a1.messages.items.some((m) => m.messageId === during.messageId)).toBe(false)
  })
})

describe('bad input: typed errors, nothing written', () => {
  it('blocking oneself or an unknown user, acting on a non-request, muting a stranger\'s conversation', async () => {
    const s = await server()
    const alice = makeTestUser(1)
    const bob = makeTestUser(1)
    const carol = makeTestUser(1)
    const [a1, b1, c1] = [await device(s.url, alice), await device(s.url, bob), await device(s.url, carol)]
    const { conversation } = await ok(a1.socket, 'conversation.open', { peerUserId: bob.userId })
    expect(await errorCode(a1.socket, 'block.add', { userId: alice.userId })).toBe('forbidden')
    expect(await errorCode(a1.socket, 'block.add', { userId: 'nobody-here' })).toBe('not_found')
    expect(await errorCode(a1.socket, 'block.remove', { userId: 'nobody-here' })).toBe('not_found')
    expect(await errorCode(a1.socket, 'block.add', { userId: '' })).toBe('invalid_frame')
    expect(await errorCode(a1.socket, 'block.add', { userId: bob.userId, extra: 1 })).toBe('invalid_frame')
    expect(await errorCode(a1.socket, 'block.list', { limit: 501 })).toBe('invalid_frame')
    expect((await ok(a1.socket, 'block.list', {})).blocked).toEqual([])
    // Not a request (no canMessage: nothing is one), an unknown conversation, someone else's.
    expect(await errorCode(b1.socket, 'request.accept', { conversationId: conversation.id })).toBe('not_found')
    expect(await errorCode(b1.socket, 'request.decline', { conversationId: conversation.id })).toBe('not_found')
    expect(await errorCode(b1.socket, 'request.accept', { conversationId: 'c_unknown' })).toBe('not_found')
    expect(await errorCode(c1.socket, 'request.accept', { conversationId: conversation.id })).toBe('forbidden')
    expect(await errorCode(c1.socket, 'mute.set', { conversationId: conversation.id, muted: true })).toBe('forbidden')
    expect(await errorCode(c1.socket, 'mute.set', { conversationId: 'c_unknown', muted: true })).toBe('not_found')
    expect((await ok(c1.socket, 'mute.list', {})).muted).toEqual([])
    expect((await ok(b1.socket, 'request.list', {})).requests).toEqual([])
    // Unblocking someone not blocked is fine (idempotent) and tells no other device.
    expect(await ok(a1.socket, 'block.remove', { userId: bob.userId })).toEqual({ userId: bob.userId, blocked: false })
    const store = s.parley.store().safety
    expect(await store.listBlocked(alice.userId, undefined, 10)).toEqual([])
    expect(await store.isMuted(carol.userId, conversation.id)).toBe(false)
  })
})

describe('canMessage', () => {
  it('deny refuses open and send with messaging_denied (nothing written); a throw or a bad value fails closed; a slow rule times out', async () => {
    const rules = new Map<string, CanMessageDecision | 'throw' | 'bogus' | 'slow'>()
    const errors: { error: unknown; where: string }[] = []
    const s = await server({
      onError: (error, context) => void errors.push({ error, where: context.where }),
      canMessage: async (from, to) => {
        const rule = rules.get(`${from}>${to}`) ?? 'allow'
        if (rule === 'throw') throw new Error('rule bug')
        if (rule === 'slow') await new Promise((r) => setTimeout(r, CAN_MESSAGE_TIMEOUT_MS + 1_000))
        return rule as CanMessageDecision
      },
    })
    const [alice, bob, mallory] = [makeTestUser(1), makeTestUser(1), makeTestUser(1)]
    const [a1, b1, m1] = [await device(s.url, alice), await device(s.url, bob), await device(s.url, mallory)]
    rules.set(`${mallory.userId}>${alice.userId}`, 'deny')
    const denied = await m1.socket.timeout(10_000).emitWithAck('conversation.open', { peerUserId: alice.userId })
    expect(denied).toEqual({ ok: false, error: { code: 'messaging_denied', message: 'this user cannot be messaged', details: { userId: alice.userId } } })
    expect((await ok(m1.socket, 'conversation.list', {})).conversations).toEqual([])
    expect((await ok(a1.socket, 'conversation.list', {})).conversations).toEqual([])

    // Applied at every send: an open conversation whose rule turns to deny refuses the next send.
    const { conversation } = await ok(b1.socket, 'conversation.open', { peerUserId: alice.userId })
    await ok(b1.socket, 'message.send', plainSend(conversation.id, 'allowed'))
    rules.set(`${bob.userId}>${alice.userId}`, 'deny')
    const refused = await b1.socket.timeout(10_000).emitWithAck('message.send', plainSend(conversation.id, 'denied'))
    expect(refused).toEqual(denied.ok ? null : { ok: false, error: { ...denied.error, details: { userId: alice.userId } } })
    expect((await ok(b1.socket, 'history.fetch', { conversationId: conversation.id })).messages.map((m) => m.body?.text)).toEqual(['allowed'])

    for (const [rule, code] of [['throw', 'internal'], ['bogus', 'internal']] as const) {
      rules.set(`${bob.userId}>${alice.userId}`, rule)
      const before = errors.length
      expect(await errorCode(b1.socket, 'message.send', plainSend(conversation.id, rule))).toBe(code)
      expect(errors.slice(before).map((e) => e.where)).toEqual(['canMessage'])
    }
    rules.set(`${bob.userId}>${alice.userId}`, 'slow')
    expect(await errorCode(b1.socket, 'message.send', plainSend(conversation.id, 'slow'))).toBe('timeout')
    expect((await ok(b1.socket, 'history.fetch', { conversationId: conversation.id })).messages).toHaveLength(1)
    expect(a1.messages.items.map((m) => m.body?.text)).toEqual(['allowed'])
  }, 30_000)

  it('rejects a canMessage option that is not a function', async () => {
    await expect(server({ canMessage: 'allow' as never })).rejects.toThrow(TypeError)
  })
})

describe('message requests', () => {
  it('a first contact under "request" is a request until accepted: no receipts or typing either way, listed, declined, re-opened, accepted', async () => {
    const s = await server({ canMessage: () => 'request' })
    const dana = makeTestUser(2)
    const erin = makeTestUser(1)
    const [d1, d2, e1] = [await device(s.url, dana, 0), await device(s.url, dana, 1), await device(s.url, erin)]
    const order: string[] = []
    d2.socket.on('request.changed', (r: { state: string }) => void order.push(`request.changed:${r.state}`))
    d2.socket.on('conversation', () => void order.push('conversation'))
    const requests2 = new Collector(d2.socket, 'request.changed')
    const { conversation } = await ok(e1.socket, 'conversation.open', { peerUserId: dana.userId })
    await requests2.count(1)
    // The request is known before the conversation is announced.
    await new Promise<void>((r) => setTimeout(r, 50))
    expect(order).toEqual(['request.changed:pending', 'conversation'])
    expect(requests2.items[0]).toMatchObject({ conversationId: conversation.id, userId: erin.userId, state: 'pending' })
    expect((await ok(d1.socket, 'request.list', {})).requests).toEqual([{ conversationId: conversation.id, userId: erin.userId, state: 'pending', since: expect.any(Number) }])
    // A second open (either side) creates nothing new; the requester has no request to act on.
    await ok(d1.socket, 'conversation.open', { peerUserId: erin.userId })
    expect((await ok(e1.socket, 'request.list', {})).requests).toEqual([])
    expect(await errorCode(e1.socket, 'request.accept', { conversationId: conversation.id })).toBe('not_found')

    const m = await ok(e1.socket, 'message.send', plainSend(conversation.id, 'hello stranger'))
    await d1.messages.count(1)
    const receiptsE = new Collector(e1.socket, 'receipt')
    const typingE = new Collector(e1.socket, 'typing')
    const typingD = new Collector(d1.socket, 'typing')
    await ok(d1.socket, 'receipt.send', { conversationId: conversation.id, messageIds: [m.messageId], status: 'read' })
    await ok(d1.socket, 'typing.send', { conversationId: conversation.id, typing: true })
    await ok(e1.socket, 'typing.send', { conversationId: conversation.id, typing: true })

    // Declined: out of the open list's pending view, the other device is told; the requester's next message re-opens it.
    expect(await ok(d2.socket, 'request.decline', { conversationId: conversation.id })).toEqual({ conversationId: conversation.id, state: 'declined' })
    expect(await ok(d2.socket, 'request.decline', { conversationId: conversation.id })).toEqual({ conversationId: conversation.id, state: 'declined' })
    const requests1 = new Collector(d1.socket, 'request.changed')
    await ok(e1.socket, 'message.send', plainSend(conversation.id, 'please'))
    expect((await requests1.count(1))[0]).toMatchObject({ state: 'pending' })
    expect((await ok(d1.socket, 'request.list', {})).requests.map((r) => r.state)).toEqual(['pending'])
    await d1.messages.count(2)
    expect(receiptsE.items).toEqual([])
    expect(typingE.items).toEqual([])
    expect(typingD.items).toEqual([])

    // Accepted: receipts and typing flow; accepting again is an error.
    expect(await ok(d1.socket, 'request.accept', { conversationId: conversation.id })).toEqual({ conversationId: conversation.id, state: 'accepted' })
    expect((await requests2.until((i) => i.some((r) => r.state === 'accepted'))).at(-1)).toMatchObject({ state: 'accepted', userId: erin.userId })
    expect(await errorCode(d1.socket, 'request.accept', { conversationId: conversation.id })).toBe('not_found')
    expect(await errorCode(d1.socket, 'request.decline', { conversationId: conversation.id })).toBe('not_found')
    expect((await ok(d1.socket, 'request.list', {})).requests).toEqual([])
    await ok(d1.socket, 'receipt.send', { conversationId: conversation.id, messageIds: [m.messageId], status: 'read' })
    await ok(d1.socket, 'typing.send', { conversationId: conversation.id, typing: true })
    await receiptsE.count(1)
    await typingE.count(1)
  })

  it('a reply accepts the request (the recipient\'s devices are told); requests only arise at first contact', async () => {
    let rule: CanMessageDecision = 'allow'
    const s = await server({ canMessage: () => rule })
    const [dana, erin, fred] = [makeTestUser(2), makeTestUser(1), makeTestUser(1)]
    const [d1, d2, e1, f1] = [await device(s.url, dana, 0), await device(s.url, dana, 1), await device(s.url, erin), await device(s.url, fred)]
    // Opened while allowed: switching requests on later never makes it a request.
    const { conversation: old } = await ok(f1.socket, 'conversation.open', { peerUserId: dana.userId })
    rule = 'request'
    await ok(f1.socket, 'conversation.open', { peerUserId: dana.userId })
    await ok(f1.socket, 'message.send', plainSend(old.id, 'old friend'))
    expect((await ok(d1.socket, 'request.list', {})).requests).toEqual([])

    const { conversation } = await ok(e1.socket, 'conversation.open', { peerUserId: dana.userId })
    const changed = new Collector(d2.socket, 'request.changed')
    await ok(d1.socket, 'message.send', plainSend(conversation.id, 'hi erin'))
    expect((await changed.until((i) => i.some((r) => r.state === 'accepted'))).at(-1)).toMatchObject({ conversationId: conversation.id, state: 'accepted' })
    expect((await ok(d1.socket, 'request.list', {})).requests).toEqual([])
    expect(await errorCode(d1.socket, 'request.accept', { conversationId: conversation.id })).toBe('not_found')
  })

  it('no request (and no announcement) while the recipient blocks the opener', async () => {
    const s = await server({ canMessage: () => 'request' })
    const [dana, erin, gail] = [makeTestUser(1), makeTestUser(1), makeTestUser(1)]
    const [d1, e1, g1] = [await device(s.url, dana), await device(s.url, erin), await device(s.url, gail)]
    const announced = new Collector(d1.socket, 'conversation')
    await ok(d1.socket, 'block.add', { userId: erin.userId })
    const { conversation } = await ok(e1.socket, 'conversation.open', { peerUserId: dana.userId })
    expect(conversation.members).toContain(dana.userId)
    const { conversation: fromGail } = await ok(g1.socket, 'conversation.open', { peerUserId: dana.userId })
    await announced.until((i) => i.some((c) => c.id === fromGail.id))
    expect(announced.items.map((c) => c.id)).toEqual([fromGail.id])
    expect((await ok(d1.socket, 'request.list', {})).requests.map((r) => r.conversationId)).toEqual([fromGail.id])
    // Unblocking later does not make the earlier open a request.
    await ok(d1.socket, 'block.remove', { userId: erin.userId })
    expect((await ok(d1.socket, 'request.list', {})).requests.map((r) => r.conversationId)).toEqual([fromGail.id])
    expect(conversation.id).not.toBe(fromGail.id)
  })
})

describe('mute and paging', () => {
  it('mute is synced to the user\'s other devices and private; lists page with next', async () => {
    const s = await server()
    const alice = makeTestUser(2)
    const bob = makeTestUser(1)
    const [a1, a2, b1] = [await device(s.url, alice, 0), await device(s.url, alice, 1), await device(s.url, bob)]
    const { conversation } = await ok(a1.socket, 'conversation.open', { peerUserId: bob.userId })
    const muted2 = new Collector(a2.socket, 'mute.changed')
    const muted1 = new Collector(a1.socket, 'mute.changed')
    const mutedB = new Collector(b1.socket, 'mute.changed')
    expect(await ok(a1.socket, 'mute.set', { conversationId: conversation.id, muted: true })).toEqual({ conversationId: conversation.id, muted: true })
    expect((await muted2.count(1))[0]).toMatchObject({ conversationId: conversation.id, muted: true })
    await ok(a1.socket, 'mute.set', { conversationId: conversation.id, muted: true })
    expect((await ok(a2.socket, 'mute.list', {})).muted).toEqual([{ conversationId: conversation.id, since: expect.any(Number) }])
    expect((await ok(b1.socket, 'mute.list', {})).muted).toEqual([])
    await ok(a2.socket, 'mute.set', { conversationId: conversation.id, muted: false })
    expect((await muted1.count(1))[0]).toMatchObject({ muted: false })
    expect(muted2.items).toHaveLength(1)
    expect(mutedB.items).toEqual([])
    expect(await s.parley.store().safety.isMuted(alice.userId, conversation.id)).toBe(false)

    const others = Array.from({ length: 5 }, () => makeTestUser(1))
    for (const u of others) await device(s.url, u)
    for (const u of others) await ok(a1.socket, 'block.add', { userId: u.userId })
    const seen: string[] = []
    let after: string | undefined
    for (let pages = 0; pages < 10; pages++) {
      const page = await ok(a1.socket, 'block.list', { limit: 2, ...(after ? { after } : {}) })
      expect(page.blocked.length).toBeLessThanOrEqual(2)
      seen.push(...page.blocked.map((b) => b.userId))
      if (!page.next) break
      after = page.next
    }
    expect(seen).toEqual(others.map((u) => u.userId).sort())
  })
})

describe('reports across a block', () => {
  it('a message withheld from the reporter is not a gap in the reporter\'s transcript', async () => {
    const s = await server()
    const alice = makeTestUser(1)
    const bob = makeTestUser(1)
    const [a1, b1] = [await device(s.url, alice), await device(s.url, bob)]
    const { conversation } = await ok(b1.socket, 'conversation.open', { peerUserId: alice.userId })
    const frames = ['one', 'two', 'three'].map((t) => plainSend(conversation.id, t))
    await ok(b1.socket, 'message.send', frames[0])
    await ok(a1.socket, 'block.add', { userId: bob.userId })
    await ok(b1.socket, 'message.send', frames[1])
    await ok(a1.socket, 'block.remove', { userId: bob.userId })
    await ok(b1.socket, 'message.send', frames[2])
    const got = await a1.messages.until((items) => items.length >= 2)
    expect(got.map((d) => d.body?.text)).toEqual(['one', 'three'])
    const entries = got.map((d) => ({
      messageId: d.messageId, conversationId: d.conversationId, seq: d.seq, ts: d.ts, sender: d.sender, text: d.body!.text, attachments: [],
      nf: d.body!.nf, tf: d.franking!.tf, rf: d.franking!.rf, kid: d.franking!.kid,
    }))
    await ok(a1.socket, 'report.submit', { reportId: 'r-1', conversationId: conversation.id, reason: 'harassment', entries })
    const report = await s.parley.getReport(alice.userId, 'r-1')
    expect(report!.entries.map((e) => [e.seq, e.verified])).toEqual([[1, true], [3, true]])
    expect(report!.transcript).toEqual({ verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 })
    // Control: bob (who saw all three) reporting only the first and the third leaves seq 2 out.
    const all = (await ok(b1.socket, 'history.fetch', { conversationId: conversation.id })).messages.reverse()
    const bobEntries = [all[0]!, all[2]!].map((d, i) => ({ ...entries[i]!, messageId: d.messageId, seq: d.seq, ts: d.ts, rf: d.franking!.rf }))
    await ok(b1.socket, 'report.submit', { reportId: 'r-2', conversationId: conversation.id, reason: 'control', entries: bobEntries })
    expect((await s.parley.getReport(bob.userId, 'r-2'))!.transcript.gaps).toEqual([2])
  })
})
