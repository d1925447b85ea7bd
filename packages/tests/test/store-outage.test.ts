/**
 * The server's database goes away and comes back (a restart, a failover): the store throws
 * what node-postgres throws then (`ECONNREFUSED`). Regression for what the fault scenarios
 * (test/fault/postgres-restart.test.ts, disk-full.test.ts) found:
 * - a frame refused during the outage is `store_failure`, not `internal`, and a handshake
 *   is refused `store_failure`, not `unauthorized` (a user is not told they are unknown);
 * - the client keeps a send refused with `store_failure` queued and resends it (stored
 *   once), and retries a handshake refused for that reason (socket.io-client never retries a
 *   refusal by the server's middleware), so it comes back without a reload.
 * Control: the outage did refuse the store calls made while it lasted.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { io as ioClient } from 'socket.io-client'
import type { Message, ParleyClient } from '@parley/client'
import type { Policy } from '@parley/protocol'
import { memoryStore, type ParleyStore } from '@parley/server'
import { closeAll, connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']

/** `store` whose every method (sub-stores included) rejects like an unreachable PostgreSQL while `down`. */
function outageStore(store: ParleyStore): { store: ParleyStore; down: (d: boolean) => void; refused: () => number } {
  let down = false
  let refused = 0
  const wrap = <T extends object>(target: T): T =>
    new Proxy(target, {
      get(t, key, receiver) {
        const v = Reflect.get(t, key, receiver)
        if (key === 'safety' || key === 'moderation') return wrap(v as object)
        if (typeof v !== 'function') return v
        return (...args: unknown[]) => {
          if (down && key !== 'close') {
            refused++
            return Promise.reject(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))
          }
          return (v as (...a: unknown[]) => unknown).apply(t, args)
        }
      },
    })
  return { store: wrap(store), down: (d) => void (down = d), refused: () => refused }
}

let server: TestServer | undefined
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, server }))

describe.each(POLICIES)('the database down and back (%s)', (policy) => {
  it('refusals are store_failure; the client keeps its send queued and its connection coming back', async () => {
    const outage = outageStore(memoryStore())
    server = await startServer({ policy, store: outage.store })
    const alice = await connect(server.url, 'alice')
    const bob = await connect(server.url, 'bob')
    clients.push(alice, bob)
    const ca = await alice.conversations.open('bob')
    const cb = await bob.conversations.open('alice')
    const got: Message[] = []
    cb.on('message', (m) => m.status === 'received' && got.push(m))
    await ca.send({ text: 'before' })
    await waitFor(() => got.length === 1, 10_000, 'first message')

    outage.down(true)
    // A raw frame and a raw handshake during the outage: typed, and not "unauthorized".
    const raw = ioClient(server.url, { auth: { token: 'carol' }, transports: ['websocket'], reconnection: false })
    const refusal = await new Promise<{ code?: string }>((r) => raw.once('connect_error', (e) => r((e as { data?: { code?: string } }).data ?? {})))
    raw.close()
    expect(refusal.code).toBe('store_failure')
    const pending = ca.send({ text: 'during the outage' })
    let settled = false
    void pending.finally(() => (settled = true))
    // A new device connecting now is refused at the handshake, and must not give up.
    const carolStarting = connect(server.url, 'carol')
    await new Promise((r) => setTimeout(r, 1_500))
    expect(outage.refused()).toBeGreaterThan(0) // control: the outage reached the server's store calls
    expect(settled).toBe(false) // kept queued, not failed
    expect(server.errors.length).toBeGreaterThan(0) // operators still hear about the outage

    outage.down(false)
    const ack = await pending
    const carol = await carolStarting
    clients.push(carol)
    await waitFor(() => got.length === 2, 10_000, 'the queued message after the outage')
    expect(got.map((m) => m.text)).toEqual(['before', 'during the outage'])
    expect(got[1]!.id).toBe(ack.messageId)
    expect(carol.connected).toBe(true)
    await new Promise((r) => setTimeout(r, 200)) // a duplicate would arrive now
    expect(got).toHaveLength(2)
  }, 30_000)
})
