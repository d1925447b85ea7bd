/**
 * The connection deadlines (review findings M3, L5): a connection that has not completed `hello`
 * within `limits.helloTimeoutMs` is closed, and so is one that said hello as an unregistered
 * device id and then sat idle for `limits.unregisteredSessionTimeoutMs`, so neither can hold a
 * user's `maxConnectionsPerUser` slots for ever; a registered device stays. The end-to-end tests
 * wait on the server's disconnects, never on the clock; the refresh rules run on fake timers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest'
import pino from 'pino'
import { createServer } from 'node:http'
import { PROTOCOL_VERSION } from '@parley/protocol'
import { createParleyServer } from '../src/create-server.js'
import { ConnectionDeadline } from '../src/connection-deadline.js'
import { DEFAULT_HELLO_TIMEOUT_MS, MAX_HELLO_TIMEOUT_MS, MAX_UNREGISTERED_SESSION_TIMEOUT_MS } from '../src/options.js'
import { memoryStore } from '../src/store/memory-store.js'
import { connect, connectDevice, errorCode, ok, TEST_WAIT_MS, type RawSocket } from './helpers/client.js'
import { makeTestUser } from './helpers/device.js'
import { startTestServer, testAuthenticate } from './helpers/server.js'

/**
 * Short, so the test closes its silent sockets within seconds; long against what must happen
 * before it (a memory-store hello and a refused handshake take milliseconds), so a loaded
 * machine does not turn it into a race.
 */
const HELLO_TIMEOUT_MS = 2_000

const open: { close(): unknown }[] = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close()
})

async function raw(url: string, token: string): Promise<RawSocket> {
  const s = await connect(url, token)
  open.push({ close: () => s.close() })
  return s
}

/** Resolves with the reason once the server has closed `s`. */
const closed = (s: RawSocket) => new Promise<string>((resolve) => s.once('disconnect', (reason) => resolve(reason)))

describe('hello deadline', () => {
  it('closes a connection without hello (or with a failed one) in time and frees its slot; a hello\'d one stays', async () => {
    const s = await startTestServer({ limits: { helloTimeoutMs: HELLO_TIMEOUT_MS, maxConnectionsPerUser: 3 } })
    open.push(s)
    const hellod = await raw(s.url, 'alice')
    await ok(hellod, 'hello', { versions: [PROTOCOL_VERSION], deviceId: 'd1' }) // unregistered, but hello'd
    const silent = await raw(s.url, 'alice')
    const failed = await raw(s.url, 'alice')
    expect(await errorCode(failed, 'hello', { versions: [999], deviceId: 'd2' })).toBe('unsupported_version')
    // Control: every slot is taken, so a fourth connection is refused.
    await expect(connect(s.url, 'alice')).rejects.toMatchObject({ data: { code: 'rate_limited', details: { scope: 'connections' } } })

    // Disconnected by the server (which closes the transport behind the DISCONNECT packet).
    expect(await closed(silent)).toBe('io server disconnect')
    expect(await closed(failed)).toBe('io server disconnect')
    // Opened first, its hello deadline passed first: still there (its unregistered-session
    // bound is the default, minutes), and still served.
    expect(hellod.connected).toBe(true)
    expect(await ok(hellod, 'hello', { versions: [PROTOCOL_VERSION], deviceId: 'd1' })).toMatchObject({ deviceId: 'd1', registered: false })
    // The freed slots take new connections.
    const again = await raw(s.url, 'alice')
    expect(again.connected).toBe(true)
  }, TEST_WAIT_MS * 2)

  it('closes a session hello\'d as an unregistered id once idle past limits.unregisteredSessionTimeoutMs and frees its slot; a registered device stays', async () => {
    // The hello deadline is long here, so only the unregistered-session bound can close it.
    const s = await startTestServer({ limits: { helloTimeoutMs: 60_000, unregisteredSessionTimeoutMs: HELLO_TIMEOUT_MS, maxConnectionsPerUser: 2 } })
    open.push(s)
    const user = makeTestUser()
    const device = await connectDevice(s.url, user) // registered
    open.push({ close: () => device.close() })
    const idle = await raw(s.url, user.userId)
    const gone = closed(idle)
    // Control: both slots are taken (checked before the hello starts the bound, so a loaded
    // machine cannot free the slot first).
    await expect(connect(s.url, user.userId)).rejects.toMatchObject({ data: { code: 'rate_limited', details: { scope: 'connections' } } })
    expect(await ok(idle, 'hello', { versions: [PROTOCOL_VERSION], deviceId: 'not-registered' })).toMatchObject({ registered: false })

    expect(await gone).toBe('io server disconnect')
    // Hello'd before the idle session, never closed: it is the user's registered device.
    expect(device.socket.connected).toBe(true)
    expect(await ok(device.socket, 'devicelist.fetch', { userIds: [user.userId] })).toMatchObject({ lists: [expect.anything()] })
    const again = await raw(s.url, user.userId)
    expect(again.connected).toBe(true)
  }, TEST_WAIT_MS * 2)

  it('limits.helloTimeoutMs, unregisteredSessionTimeoutMs and maxConnectionsPerUser are checked: RangeError outside their ranges', () => {
    expect(DEFAULT_HELLO_TIMEOUT_MS).toBe(30_000)
    const make = (limits: object) => () => createParleyServer({
      httpServer: createServer(), policy: 'server-side', store: memoryStore(), authenticate: testAuthenticate, logger: pino({ level: 'silent' }), limits,
    })
    for (const bad of [0, -1, 1.5, MAX_HELLO_TIMEOUT_MS + 1, Number.NaN, '30000']) {
      expect(make({ helloTimeoutMs: bad })).toThrow(RangeError)
    }
    for (const bad of [0, 2.5, Number.POSITIVE_INFINITY]) expect(make({ maxConnectionsPerUser: bad })).toThrow(RangeError)
    for (const bad of [0, -1, 1.5, MAX_UNREGISTERED_SESSION_TIMEOUT_MS + 1, '60000']) {
      expect(make({ unregisteredSessionTimeoutMs: bad })).toThrow(RangeError)
    }
  })
})

describe('ConnectionDeadline (fake timers)', () => {
  const HELLO_MS = 1_000
  const IDLE_MS = 10_000
  afterEach(() => void vi.useRealTimers())

  function deadline() {
    vi.useFakeTimers()
    const closes: string[] = []
    const d = new ConnectionDeadline((why) => void closes.push(why), { helloMs: HELLO_MS, unregisteredMs: IDLE_MS })
    return { d, closes }
  }
  const unregistered = { deviceId: 'd1', registered: false }

  it('no hello: closed at the hello deadline; a failed hello (no device id) does not count', () => {
    const { d, closes } = deadline()
    d.handled('hello.challenge', { registered: false })
    vi.advanceTimersByTime(HELLO_MS - 1)
    expect(closes).toEqual([])
    vi.advanceTimersByTime(1)
    expect(closes).toEqual(['no hello in time'])
  })

  it('an unregistered session: its bound starts at hello, link and blob frames restart it, a repeated hello or other frames do not', () => {
    const { d, closes } = deadline()
    vi.advanceTimersByTime(HELLO_MS - 1)
    d.handled('hello', unregistered)
    vi.advanceTimersByTime(IDLE_MS - 1)
    d.handled('link.request', unregistered) // a device being linked, waiting for the approval
    vi.advanceTimersByTime(IDLE_MS - 1)
    d.handled('blob.get', unregistered) // then fetching its history
    vi.advanceTimersByTime(IDLE_MS - 1)
    d.handled('hello', unregistered)
    d.handled('devicelist.fetch', unregistered)
    expect(closes).toEqual([])
    vi.advanceTimersByTime(1)
    expect(closes).toEqual(['unregistered session idle too long'])
  })

  it('a registered session is never closed; nor one that disconnected', () => {
    const a = deadline()
    a.d.handled('hello', unregistered)
    a.d.handled('device.register', { deviceId: 'd1', registered: true })
    vi.advanceTimersByTime(IDLE_MS * 10)
    expect(a.closes).toEqual([])
    const b = deadline()
    b.d.stop()
    vi.advanceTimersByTime(IDLE_MS * 10)
    expect(b.closes).toEqual([])
  })
})
