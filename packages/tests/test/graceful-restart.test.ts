/**
 * A graceful server stop and restart (a deploy): `parley.close()` disconnects every client
 * with socket.io's 'io server disconnect' (after a `goodbye` frame), which socket.io-client never
 * retries on its own.
 * The client comes back by itself once the server is up again, with Parley mounted on its own
 * `httpServer` and on the integrator's socket.io server (`io`), and a message queued while the
 * server was down is delivered exactly once. Control: in both mounts the client did see the
 * server-initiated disconnect (not a transport drop, which socket.io retries anyway), and the
 * server's `goodbye` frame named the reason (`server_restarting`) before the socket dropped.
 */
import { createServer, type Server as HttpServer } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import pino from 'pino'
import { Server } from 'socket.io'
import { createParleyServer, pgliteStore, type ParleyServer } from '@parley/server'
import type { Message, ParleyClient } from '@parley/client'
import { closeAll, connect, waitFor } from './helpers/parley.js'

interface Running { parley: ParleyServer; http: HttpServer; io?: Server }

async function start(mode: 'httpServer' | 'io', dataDir: string, port: number): Promise<Running> {
  const http = createServer()
  const io = mode === 'io' ? new Server(http) : undefined
  const parley = createParleyServer({
    ...(io ? { io } : { httpServer: http }),
    policy: 'default-e2ee',
    store: pgliteStore({ dataDir }),
    authenticate: (h) => ({ userId: String((h.auth as { token?: unknown }).token) }),
    logger: pino({ level: 'silent' }),
  })
  await parley.ready
  await new Promise<void>((r) => http.listen(port, '127.0.0.1', r))
  return { parley, http, ...(io ? { io } : {}) }
}

async function stop(r: Running): Promise<void> {
  await r.parley.close()
  if (r.io) await new Promise<void>((res) => void r.io!.close(() => res()))
  await new Promise<void>((res) => r.http.close(() => res()))
}

let running: Running | undefined
let dir: string | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients })
  if (running) await stop(running).catch(() => undefined)
  running = undefined
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe.each(['httpServer', 'io'] as const)('graceful restart (%s)', (mode) => {
  it('clients reconnect by themselves; a message queued meanwhile arrives exactly once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-graceful-'))
    running = await start(mode, join(dir, 'db'), 0)
    const port = (running.http.address() as { port: number }).port
    const url = `http://127.0.0.1:${port}`
    const alice = await connect(url, 'alice')
    const bob = await connect(url, 'bob')
    clients.push(alice, bob)
    const ca = await alice.conversations.open('bob')
    const cb = await bob.conversations.open('alice')
    const got: Message[] = []
    cb.on('message', (m) => m.status === 'received' && got.push(m))
    await ca.send({ text: 'before the deploy' })
    await waitFor(() => got.length === 1, 10_000, 'first message')

    const reasons: string[] = []
    const codes: (string | undefined)[] = []
    alice.on('disconnect', (d) => {
      reasons.push(d.reason)
      codes.push(d.code)
    })
    await stop(running)
    running = undefined
    await waitFor(() => reasons.length > 0, 10_000, 'alice sees the disconnect')
    // Control: the client is disconnected server-side ('io server disconnect', never retried by
    // socket.io-client itself) in both mounts: `close()` disconnects the namespace behind its goodbye.
    expect(reasons[0]).toBe('io server disconnect')
    // The server said why first: a typed reason the app can show ("reconnecting after an update").
    expect(codes[0]).toBe('server_restarting')
    const queued = ca.send({ text: 'queued during the deploy' })

    running = await start(mode, join(dir, 'db'), port)
    await queued
    await waitFor(() => got.length === 2, 20_000, 'the queued message after the restart')
    await ca.send({ text: 'after the deploy' })
    await waitFor(() => got.length === 3, 10_000, 'a message after the restart')
    await new Promise((r) => setTimeout(r, 200)) // a duplicate would arrive now
    expect(got.map((m) => m.text)).toEqual(['before the deploy', 'queued during the deploy', 'after the deploy'])
  }, 60_000)
})
