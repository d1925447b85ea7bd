/**
 * Integration over real socket.io clients on loopback, once per policy: send/ack/deliver,
 * multi-device fan-out, receipts, typing, offline then reconnect (nothing lost, nothing
 * duplicated after dedup), resend idempotency and history pagination.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { POLICIES, type ConversationInfo, type Delivery, type Policy } from '@parley/protocol'
import { connectDevice, Collector, ok, uniqueMessages, type TestDevice } from './helpers/client.js'
import { e2eeSend, makeTestUser, plainSend, type TestUser } from './helpers/device.js'
import { startTestServer, type TestServer } from './helpers/server.js'

describe.each(POLICIES.map((p) => [p] as [Policy]))('policy %s', (policy) => {
  let server: TestServer
  let alice: TestUser
  let bob: TestUser
  let a1: TestDevice
  let a2: TestDevice
  let b1: TestDevice
  let convo: ConversationInfo
  const everyone = () => [{ userId: alice.userId, deviceId: 'd2' }, { userId: bob.userId, deviceId: 'd1' }]
  const send = (from: TestDevice, text: string, clientMessageId?: string) => {
    const to = from === b1 ? [{ userId: alice.userId, deviceId: 'd1' }, { userId: alice.userId, deviceId: 'd2' }] : everyone()
    return ok(from.socket, 'message.send', convo.encryption === 'e2ee' ? e2eeSend(convo.id, text, to, clientMessageId) : plainSend(convo.id, text, clientMessageId))
  }
  const textOf = (d: Delivery) => d.body?.text ?? Buffer.from(d.envelope?.ciphertext ?? '', 'base64').toString().split('|')[0]

  beforeAll(async () => {
    server = await startTestServer({ policy })
    alice = makeTestUser(2)
    bob = makeTestUser(1)
    a1 = await connectDevice(server.url, alice, 0)
    a2 = await connectDevice(server.url, alice, 1)
    b1 = await connectDevice(server.url, bob, 0)
    convo = (await ok(a1.socket, 'conversation.open', { peerUserId: bob.userId })).conversation
  })
  afterAll(async () => {
    for (const d of [a1, a2, b1]) d?.close()
    await server?.close()
  })

  it('opens the conversation in the policy’s mode, idempotently for both sides', async () => {
    expect(convo.encryption).toBe(policy === 'default-e2ee' ? 'e2ee' : 'server-side')
    const fromBob = await ok(b1.socket, 'conversation.open', { peerUserId: alice.userId })
    expect(fromBob.conversation.id).toBe(convo.id)
    expect((await ok(b1.socket, 'conversation.list', {})).conversations.map((c) => c.id)).toEqual([convo.id])
    expect(a1.hello.manifest.policy).toBe(policy)
  })

  it('send → ack after commit → delivered to the peer and to the sender’s other device', async () => {
    const ack = await send(a1, 'hello bob')
    expect(ack.seq).toBe(1)
    expect(ack.franking.kid).toBe('fk1')
    const [toBob] = await b1.messages.count(1)
    const [toA2] = await a2.messages.count(1)
    for (const d of [toBob!, toA2!]) {
      expect(d).toMatchObject({ messageId: ack.messageId, seq: 1, conversationId: convo.id, sender: { userId: alice.userId, deviceId: 'd1' }, franking: ack.franking })
      expect(textOf(d)).toBe('hello bob')
    }
    expect(a1.messages.items).toHaveLength(0)
  })

  it('receipts reach the sender’s devices; typing is relayed and never stored', async () => {
    const receiptsA1 = new Collector(a1.socket, 'receipt')
    const receiptsA2 = new Collector(a2.socket, 'receipt')
    const typing = new Collector(a1.socket, 'typing')
    const [m] = b1.messages.items
    await ok(b1.socket, 'receipt.send', { conversationId: convo.id, messageIds: [m!.messageId], status: 'read' })
    await ok(b1.socket, 'typing.send', { conversationId: convo.id, typing: true })
    for (const c of [receiptsA1, receiptsA2]) {
      const [r] = await c.count(1)
      expect(r).toMatchObject({ conversationId: convo.id, messageIds: [m!.messageId], status: 'read', from: { userId: bob.userId, deviceId: 'd1' } })
    }
    expect((await typing.count(1))[0]).toMatchObject({ typing: true, from: { userId: bob.userId } })
    const h = await ok(b1.socket, 'history.fetch', { conversationId: convo.id })
    expect(h.messages).toHaveLength(1)
  })

  it('offline recipient then reconnect: nothing lost, nothing duplicated after dedup', async () => {
    const before = b1.messages.items.length
    await ok(b1.socket, 'inbox.ack', { upTo: b1.messages.items[before - 1]!.inboxId })
    b1.close()
    const sent = []
    for (let i = 0; i < 5; i++) sent.push(await send(a1, `offline ${i}`))
    // A resend with the same client id is acked again with the same message, never stored twice.
    const again = await send(a1, 'offline 4', sent[4]!.clientMessageId)
    expect(again.messageId).toBe(sent[4]!.messageId)
    b1 = await connectDevice(server.url, bob, 0)
    expect(b1.hello.registered).toBe(true)
    const got = await b1.messages.count(5)
    expect(uniqueMessages(got).map((d) => d.messageId)).toEqual(sent.map((s) => s.messageId))
    expect(got.map(textOf)).toEqual(sent.map((_, i) => `offline ${i}`))
    await ok(b1.socket, 'inbox.ack', { upTo: got[got.length - 1]!.inboxId })
    const sync = await ok(b1.socket, 'inbox.sync', {})
    expect(sync).toEqual({ deliveries: [], more: false })
    // Reconnect again: the cursor holds, nothing is re-sent.
    b1.close()
    b1 = await connectDevice(server.url, bob, 0)
    expect(b1.hello.inboxCursor).toBe(got[got.length - 1]!.inboxId)
    const probe = await send(a1, 'after')
    const [first] = await b1.messages.count(1)
    expect(first!.messageId).toBe(probe.messageId)
  })

  it('the sender’s other device saw every message exactly once after dedup', async () => {
    const all = await ok(a2.socket, 'inbox.sync', { after: 0, limit: 500 })
    const ids = all.deliveries.map((d) => d.messageId)
    expect(new Set(ids).size).toBe(ids.length)
    expect(ids).toHaveLength(7)
  })

  it('history paginates newest first by cursor and covers every message once', async () => {
    for (let i = 0; i < 5; i++) await send(b1, `page ${i}`)
    const seqs: number[] = []
    let before: number | undefined
    for (let pages = 0; pages < 10; pages++) {
      const page = await ok(a1.socket, 'history.fetch', { conversationId: convo.id, limit: 4, ...(before ? { before } : {}) })
      seqs.push(...page.messages.map((m) => m.seq))
      if (page.nextBefore === undefined) break
      before = page.nextBefore
    }
    expect(seqs).toEqual(Array.from({ length: 12 }, (_, i) => 12 - i))
    const newest = await ok(a1.socket, 'history.fetch', { conversationId: convo.id, limit: 1 })
    expect(textOf(newest.messages[0]!)).toBe('page 4')
  })
})
