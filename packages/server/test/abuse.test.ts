/**
 * Abuse at the edge: malformed frames of every type, unknown events, oversized fields and
 * frames, a device acting as another, posting into a foreign conversation, unauthenticated
 * sockets and a flood over the rate limit. Each gets its typed error; the process stays up and
 * the store is unchanged (checked by reading it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLIENT_FRAME_SCHEMAS, MAX_FRAME_BYTES, MAX_TEXT_LENGTH, type ClientEventName, type ConversationInfo } from '@parley/protocol'
import { call, connect, connectDevice, errorCode, ok, type TestDevice } from './helpers/client.js'
import { e2eeSend, makeTestUser, modeChange, plainSend, registerFrame, type TestUser } from './helpers/device.js'
import { startTestServer, type TestServer } from './helpers/server.js'

describe('abuse', () => {
  let server: TestServer
  let alice: TestUser
  let bob: TestUser
  let carol: TestUser
  let a: TestDevice
  let b: TestDevice
  let c: TestDevice
  let convo: ConversationInfo

  /** Everything the store holds that an attacker could change. */
  async function snapshot() {
    const s = server.parley.store()
    const users = [alice, bob, carol]
    return {
      convs: await Promise.all(users.map((u) => s.listConversations(u.userId))),
      devices: await Promise.all(users.map((u) => s.listDevices(u.userId))),
      lists: await Promise.all(users.map(async (u) => (await s.getUser(u.userId))?.deviceList.version)),
      history: await s.history(convo.id, { userId: alice.userId, deviceId: 'd1' }, undefined, 100, Date.now()),
      reports: await s.countReports(),
      prekeys: await Promise.all(users.map((u) => s.countPreKeys(u.userId, 'd1'))),
    }
  }

  beforeAll(async () => {
    server = await startTestServer({ policy: 'optional-e2ee', limits: { connection: { capacity: 1_000, refillPerSecond: 1_000 }, user: { capacity: 2_000, refillPerSecond: 2_000 } } })
    alice = makeTestUser(2)
    bob = makeTestUser(1)
    carol = makeTestUser(1)
    a = await connectDevice(server.url, alice)
    b = await connectDevice(server.url, bob)
    c = await connectDevice(server.url, carol)
    convo = (await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })).conversation
    await ok(a.socket, 'message.send', plainSend(convo.id, 'legit'))
  })
  afterAll(async () => {
    for (const d of [a, b, c]) d?.close()
    await server?.close()
  })

  it('malformed frames of every event → invalid_frame, store unchanged', async () => {
    const before = await snapshot()
    const junk: unknown[] = [undefined, null, 'text', 42, [], [1, 2], { extra: true }, { __proto__: { polluted: 1 } }, JSON.parse('{"__proto__":{"x":1}}')]
    for (const event of Object.keys(CLIENT_FRAME_SCHEMAS) as ClientEventName[]) {
      for (const frame of junk) {
        // `{ __proto__: … }` goes over the wire as `{}`, which is valid where every field is optional.
        if (JSON.stringify(frame) === '{}' && ['conversation.list', 'hello.challenge', 'keys.publish', 'inbox.sync', 'block.list', 'mute.list', 'request.list'].includes(event)) continue
        const code = await errorCode(a.socket, event, frame)
        expect([event, code]).toEqual([event, 'invalid_frame'])
      }
    }
    expect(await errorCode(a.socket, 'no.such.event', {})).toBe('invalid_frame')
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(await snapshot()).toEqual(before)
  })

  it('oversized fields → payload_too_large; an oversized frame drops only that connection', async () => {
    const before = await snapshot()
    const big = plainSend(convo.id, 'x'.repeat(MAX_TEXT_LENGTH + 1))
    expect(await errorCode(a.socket, 'message.send', big)).toBe('payload_too_large')
    const victim = await connect(server.url, alice.userId)
    const closed = new Promise((resolve) => victim.once('disconnect', resolve))
    victim.emit('typing.send', { conversationId: convo.id, typing: true, pad: 'y'.repeat(MAX_FRAME_BYTES + 10) })
    await closed
    expect((await ok(a.socket, 'conversation.list', {})).conversations).toHaveLength(1)
    expect(await snapshot()).toEqual(before)
  })

  it('unauthenticated, no hello, unregistered: refused with typed errors', async () => {
    const refused = await connect(server.url, 'bad-token').catch((e: { data?: { code: string } }) => e.data?.code)
    expect(refused).toBe('unauthorized')
    expect(await connect(server.url, undefined).catch((e: { data?: { code: string } }) => e.data?.code)).toBe('unauthorized')
    const s = await connect(server.url, 'someone')
    expect(await errorCode(s, 'conversation.list', {})).toBe('unauthorized')
    await ok(s, 'hello', { versions: [2], deviceId: 'dx' })
    expect(await errorCode(s, 'message.send', plainSend(convo.id, 'hi'))).toBe('unauthorized')
    expect(await errorCode(s, 'hello', { versions: [99], deviceId: 'dx' })).toBe('unsupported_version')
    s.close()
  })

  it('a device acting as another → forbidden or rejected signatures; store unchanged', async () => {
    const before = await snapshot()
    // Same connection claiming a second device.
    expect(await errorCode(a.socket, 'hello', { versions: [2], deviceId: 'd2' })).toBe('forbidden')
    // Registering someone else's device, or a list for another user.
    const s = await connect(server.url, alice.userId)
    await ok(s, 'hello', { versions: [2], deviceId: 'd2' })
    expect(await errorCode(s, 'device.register', registerFrame(alice, 0))).toBe('forbidden')
    expect(await errorCode(s, 'device.register', { ...registerFrame(bob, 0), deviceId: 'd2' })).toBe('forbidden')
    // Bob's user key for Alice: the pinned key wins.
    expect(await errorCode(s, 'device.register', { ...registerFrame(alice, 1), userIdentityKey: bob.identity.publicKey })).toBe('identity_changed')
    // A list with a bad signature.
    const f = registerFrame(alice, 1)
    expect(await errorCode(s, 'device.register', { ...f, deviceList: { ...f.deviceList, version: 7 } })).toBe('invalid_device_list')
    s.close()
    // Signing a mode change as another device.
    expect(await errorCode(b.socket, 'mode.upgrade', { modeChange: modeChange(alice, alice.devices[0]!, convo.id) })).toBe('forbidden')
    expect(await snapshot()).toEqual(before)
  })

  it('posting into, reading or reporting a foreign conversation → forbidden; store unchanged', async () => {
    const before = await snapshot()
    expect(await errorCode(c.socket, 'message.send', plainSend(convo.id, 'let me in'))).toBe('forbidden')
    expect(await errorCode(c.socket, 'history.fetch', { conversationId: convo.id })).toBe('forbidden')
    expect(await errorCode(c.socket, 'receipt.send', { conversationId: convo.id, messageIds: ['m'], status: 'read' })).toBe('forbidden')
    expect(await errorCode(c.socket, 'typing.send', { conversationId: convo.id, typing: true })).toBe('forbidden')
    expect(await errorCode(c.socket, 'message.delete', { conversationId: convo.id, messageId: before.history[0]!.message.id })).toBe('forbidden')
    expect(await errorCode(b.socket, 'message.delete', { conversationId: convo.id, messageId: before.history[0]!.message.id })).toBe('forbidden')
    expect(await errorCode(c.socket, 'mode.upgrade', { modeChange: modeChange(carol, carol.devices[0]!, convo.id) })).toBe('forbidden')
    expect(await errorCode(c.socket, 'message.send', plainSend('c_unknown', 'hi'))).toBe('not_found')
    expect(await snapshot()).toEqual(before)
  })

  it('e2ee envelopes that miss or add devices → invalid_device_list; nothing stored', async () => {
    const s2 = await startTestServer({ policy: 'default-e2ee' })
    try {
      const x = makeTestUser(2)
      const y = makeTestUser(1)
      const x1 = await connectDevice(s2.url, x)
      await connectDevice(s2.url, x, 1)
      const y1 = await connectDevice(s2.url, y)
      const { conversation } = await ok(x1.socket, 'conversation.open', { peerUserId: y.userId })
      const r = await call(x1.socket, 'message.send', e2eeSend(conversation.id, 'hi', [{ userId: y.userId, deviceId: 'd1' }]))
      expect(r.ok ? null : r.error).toMatchObject({ code: 'invalid_device_list', details: { missing: [{ userId: x.userId, deviceId: 'd2' }], extra: [] } })
      expect(await errorCode(x1.socket, 'message.send', e2eeSend(conversation.id, 'hi', [{ userId: y.userId, deviceId: 'd1' }, { userId: x.userId, deviceId: 'd2' }, { userId: y.userId, deviceId: 'd9' }]))).toBe('invalid_device_list')
      expect((await s2.parley.store().getConversation(conversation.id))?.lastSeq).toBe(0)
      expect(y1.messages.items).toHaveLength(0)
    } finally {
      await s2.close()
    }
  })

  it('a flood over the connection limit → rate_limited with retryAfterMs; the process stays up', async () => {
    const s2 = await startTestServer({ limits: { connection: { capacity: 5, refillPerSecond: 1 } } })
    try {
      const x = makeTestUser(1)
      const y = makeTestUser(1)
      const x1 = await connectDevice(s2.url, x)
      await connectDevice(s2.url, y)
      const { conversation } = await ok(x1.socket, 'conversation.open', { peerUserId: y.userId })
      const before = (await s2.parley.store().getConversation(conversation.id))!.lastSeq
      const results = await Promise.all(Array.from({ length: 30 }, () => call(x1.socket, 'message.send', plainSend(conversation.id, 'flood'))))
      const limited = results.filter((r) => !r.ok && r.error.code === 'rate_limited')
      const accepted = results.filter((r) => r.ok).length
      expect(limited.length).toBeGreaterThanOrEqual(25)
      expect((limited[0] as unknown as { error: { details: { retryAfterMs: number; scope: string } } }).error.details).toMatchObject({ scope: 'connection' })
      expect((await s2.parley.store().getConversation(conversation.id))!.lastSeq).toBe(before + accepted)
      const y2 = makeTestUser(1)
      await connectDevice(s2.url, y2) // another client is still served
    } finally {
      await s2.close()
    }
  })
})
