/**
 * The hello deadline (review finding M3): a connection that has not completed `hello` within
 * `limits.helloTimeoutMs` is closed, so idle sockets cannot hold a user's
 * `maxConnectionsPerUser` slots for ever; a connection that said hello stays. Waits on the
 * server's disconnects, never on the clock.
 */
import { afterEach, describe, expect, it } from 'vitest'
import pino from 'pino'
import { createServer } from 'node:http'
import { PROTOCOL_VERSION } from '@parley/protocol'
import { createParleyServer } from '../src/create-server.js'
import { DEFAULT_HELLO_TIMEOUT_MS, MAX_HELLO_TIMEOUT_MS } from '../src/options.js'
import { memoryStore } from '../src/store/memory-store.js'
import { connect, errorCode, ok, TEST_WAIT_MS, type RawSocket } from './helpers/client.js'
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
    // Opened first, its deadline passed first: still there, and still served.
    expect(hellod.connected).toBe(true)
    expect(await ok(hellod, 'hello', { versions: [PROTOCOL_VERSION], deviceId: 'd1' })).toMatchObject({ deviceId: 'd1', registered: false })
    // The freed slots take new connections.
    const again = await raw(s.url, 'alice')
    expect(again.connected).toBe(true)
  }, TEST_WAIT_MS * 2)

  it('limits.helloTimeoutMs and maxConnectionsPerUser are checked: RangeError outside their ranges', () => {
    expect(DEFAULT_HELLO_TIMEOUT_MS).toBe(30_000)
    const make = (limits: object) => () => createParleyServer({
      httpServer: createServer(), policy: 'server-side', store: memoryStore(), authenticate: testAuthenticate, logger: pino({ level: 'silent' }), limits,
    })
    for (const bad of [0, -1, 1.5, MAX_HELLO_TIMEOUT_MS + 1, Number.NaN, '30000']) {
      expect(make({ helloTimeoutMs: bad })).toThrow(RangeError)
    }
    for (const bad of [0, 2.5, Number.POSITIVE_INFINITY]) expect(make({ maxConnectionsPerUser: bad })).toThrow(RangeError)
  })
})
