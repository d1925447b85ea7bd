/**
 * The frame decoder (issue 19's latency target, decision 0010): a socket.io packet holding more
 * JSON nodes than a valid frame of its event can hold is answered `payload_too_large` without
 * being parsed, the connection stays usable, strings (however many commas they hold) are not
 * counted, real full-size frames pass, and packets that cannot be answered (a connect's auth
 * object, a binary event) close the connection instead.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as v from 'valibot'
import { io as ioClient } from 'socket.io-client'
import { generatePreKeys } from '@parley/crypto'
import { CLIENT_FRAME_SCHEMAS, MAX_PREKEYS_PER_UPLOAD, type ClientEventName } from '@parley/protocol'
import { call, connect, connectDevice, type TestDevice } from './helpers/client.js'
import { makeTestUser, registerFrame } from './helpers/device.js'
import { startTestServer, type TestServer } from './helpers/server.js'
import { countJsonNodes } from '../src/transport/json-nodes.js'
import { CLIENT_FRAME_NODE_BUDGETS, EVENT_PACKET_NODES, maxJsonNodes, UNKNOWN_EVENT_NODE_BUDGET } from '../src/transport/node-budget.js'
import { OTHER_PACKET_NODE_BUDGET } from '../src/transport/frame-decoder.js'

/** Nodes of `["event", frame]` as socket.io sends it. */
const packetNodes = (event: string, frame: unknown) => countJsonNodes(JSON.stringify([event, frame]), Infinity)

describe('countJsonNodes', () => {
  it('counts { [ and , outside strings only, and stops past the budget', () => {
    expect(countJsonNodes('[1,{"a":"x,y[{"}]', 100)).toBe(3)
    expect(countJsonNodes('["a\\",[b",{}]', 100)).toBe(3) // an escaped quote does not end the string
    expect(countJsonNodes('["a\\\\",[1]]', 100)).toBe(3) // an escaped backslash does
    expect(countJsonNodes('"unterminated,,,', 100)).toBe(0)
    expect(countJsonNodes(`[${'{},'.repeat(1000)}{}]`, 10)).toBe(11)
    expect(countJsonNodes('42', 0)).toBe(0)
  })
})

describe('node budgets', () => {
  it('every client event has a finite budget; an array without a maximum has none', () => {
    for (const [event, budget] of Object.entries(CLIENT_FRAME_NODE_BUDGETS)) {
      expect(Number.isFinite(budget), event).toBe(true)
      expect(budget).toBeGreaterThan(EVENT_PACKET_NODES)
    }
    expect(maxJsonNodes(v.strictObject({ a: v.array(v.number()) }))).toBe(Infinity)
    expect(maxJsonNodes(v.strictObject({ a: v.pipe(v.array(v.number()), v.maxLength(10)) }))).toBe(1 + 1 + 1 + 10)
  })

  it('full-size real frames are within their budget', () => {
    const user = makeTestUser(1)
    const full = { oneTime: MAX_PREKEYS_PER_UPLOAD, kemOneTime: MAX_PREKEYS_PER_UPLOAD }
    const register = registerFrame(user, 0, full)
    expect(packetNodes('device.register', register)).toBeLessThanOrEqual(CLIENT_FRAME_NODE_BUDGETS['device.register'])
    const batch = generatePreKeys(user.devices[0]!, { oneTimeStartId: 1, oneTimeCount: MAX_PREKEYS_PER_UPLOAD, kemOneTimeStartId: 1, kemOneTimeCount: MAX_PREKEYS_PER_UPLOAD })
    const publish = { oneTimePreKeys: batch.public.oneTimePreKeys, kemOneTimePreKeys: batch.public.kemOneTimePreKeys }
    expect(packetNodes('keys.publish', publish)).toBeLessThanOrEqual(CLIENT_FRAME_NODE_BUDGETS['keys.publish'])
    // Every event's schema is in the table.
    expect(Object.keys(CLIENT_FRAME_NODE_BUDGETS).sort()).toEqual(Object.keys(CLIENT_FRAME_SCHEMAS).sort())
  })
})

describe('the decoder on a live server', () => {
  let server: TestServer
  let d: TestDevice
  const errors: unknown[] = []

  beforeAll(async () => {
    server = await startTestServer({ onError: (e) => void errors.push(e) })
    d = await connectDevice(server.url, makeTestUser(1))
  }, 60_000)
  afterAll(async () => {
    d?.close()
    await server?.close()
  })

  it.each<[ClientEventName, unknown]>([
    ['inbox.ack', { upTo: Array(330_000).fill({}) }],
    ['receipt.send', { messageIds: Array(520_000).fill(0) }],
    ['message.send', { envelopes: Array(200_000).fill({}) }],
  ])('%s with far more JSON nodes than its schema allows: payload_too_large, not parsed; the socket still answers', async (event, frame) => {
    const r = await call(d.socket, event, frame)
    expect(r.ok).toBe(false)
    if (r.ok) return
    expect(r.error.code).toBe('payload_too_large')
    expect(r.error.message).toMatch(/more than \d+ JSON nodes/)
    expect((await call(d.socket, 'conversation.list', {})).ok).toBe(true)
  })

  it('control: an invalid frame within its budget reaches the usual checks (not the decoder)', async () => {
    const r = await call(d.socket, 'inbox.ack', { upTo: 'x' })
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.message).not.toMatch(/JSON nodes/)
  })

  it('commas inside strings are not nodes: a long string of commas is judged by its length, not refused as nodes', async () => {
    const r = await call(d.socket, 'typing.send', { conversationId: ','.repeat(500_000) })
    expect(r.ok).toBe(false)
    if (!r.ok) {
      expect(r.error.code).toBe('payload_too_large')
      expect(r.error.message).not.toMatch(/JSON nodes/)
    }
  })

  it('an unknown event over its small budget is refused as an unknown event', async () => {
    const r = await call(d.socket, 'no.such.event' as ClientEventName, Array(UNKNOWN_EVENT_NODE_BUDGET + 10).fill(0))
    expect(r.ok).toBe(false)
    if (!r.ok) expect(r.error.code).toBe('invalid_frame')
  })

  it('a connect whose auth object is over budget is closed, not parsed', async () => {
    const auth = { token: makeTestUser(1).userId, junk: Array(OTHER_PACKET_NODE_BUDGET + 10).fill(0) }
    const s = ioClient(server.url, { transports: ['websocket'], forceNew: true, reconnection: false, auth })
    const outcome = await new Promise<string>((resolve) => {
      s.once('connect', () => resolve('connected'))
      s.once('connect_error', () => resolve('refused'))
      s.io.once('close', () => resolve('closed'))
    })
    s.close()
    expect(outcome).toBe('closed')
    // Control: the same auth within budget connects.
    const fine = await connect(server.url, makeTestUser(1).userId, { auth: { token: makeTestUser(1).userId, junk: [0] } })
    expect(fine.connected).toBe(true)
    fine.close()
  })

  it('a binary event over budget closes its connection', async () => {
    const s = await connect(server.url, makeTestUser(1).userId)
    const closed = new Promise<string>((resolve) => s.once('disconnect', (why) => resolve(why)))
    s.emit('inbox.ack', { upTo: Array(10_000).fill({}), blob: Buffer.alloc(4) })
    expect(await closed).toBeTruthy()
    s.close()
    expect(errors).toEqual([])
  })
})
