/**
 * A suspension reaches every connection of the user, not only its registered devices (review
 * finding L4). Attack: a socket of the user opened before the suspension says hello as an
 * unregistered device id; it joins no device or user room, so closing the user room left it
 * connected, fetching device lists and blobs and asking to be linked; and `hello` checked the
 * suspension only for registered devices. Safe outcome: `suspendUser` closes every connection of
 * the user (its connections room, joined at the handshake) with the goodbye registered devices
 * get (`account_suspended`), and `hello` refuses a suspended user whatever the device id
 * (`AccountSuspendedError`), leaving the connection without hello, so nothing else is served.
 * Controls: before the suspension the same unregistered session is served (`devicelist.fetch`);
 * the user's registered device gets the same goodbye; a store-level suspension (the race
 * `hello` closes: committed after the handshake's check) leaves the socket connected, so it is
 * the hello check that refuses. Same in every mode: one suite over the three policies.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Socket } from 'socket.io-client'
import { PROTOCOL_VERSION } from '@parley/protocol'
import type { ParleyClient } from '@parley/client'
import { openRawConnection, type RawConnection } from '../helpers/raw-connection.js'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { POLICIES } from '../hostile/_world.js'

let server: TestServer | undefined
const clients: ParleyClient[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await closeAll({ clients, server })
  server = undefined
})

type Raw = RawConnection

/** A raw connection of `userId` that never reconnects. */
const open = (url: string, userId: string) => openRawConnection(url, userId, sockets)

const ack = (r: Raw, event: string, frame: unknown) => r.socket.timeout(10_000).emitWithAck(event, frame) as Promise<{ ok: boolean; error?: { code: string } }>
const hello = (r: Raw, deviceId: string) => ack(r, 'hello', { versions: [PROTOCOL_VERSION], deviceId })

describe.each(POLICIES)('a suspension and the user\'s unregistered connections under %s', (policy) => {
  it('suspendUser closes a connection hello\'d as an unregistered id, with the goodbye registered devices get', async () => {
    const A = `alice-${Math.random().toString(36).slice(2, 8)}`
    server = await startServer({ policy })
    const phone = await connect(server.url, A)
    clients.push(phone)
    const phoneGone: { code?: string }[] = []
    phone.on('disconnect', (d) => void phoneGone.push(d))
    const other = await open(server.url, A)
    expect(await hello(other, 'not-registered')).toMatchObject({ ok: true })
    // Control: before the suspension, this unregistered session is served.
    expect(await ack(other, 'devicelist.fetch', { userIds: [A] })).toMatchObject({ ok: true })

    await server.parley.moderation.suspendUser(A, { reason: 'raid' })
    await waitFor(() => other.disconnects.length > 0 && phoneGone.length > 0, 10_000, 'both connections to be closed')
    expect(other.goodbyes).toEqual([{ code: 'account_suspended' }])
    expect(other.disconnects).toEqual(['io server disconnect'])
    expect(phoneGone[0]?.code).toBe('account_suspended') // control: the registered device, as before
  }, 60_000)

  it('hello refuses a suspended user for an unregistered id too; the connection gets nothing else', async () => {
    const A = `alice-${Math.random().toString(36).slice(2, 8)}`
    server = await startServer({ policy })
    await connect(server.url, A).then((c) => c.close()) // alice exists
    const early = await open(server.url, A)
    const late = await open(server.url, A)
    expect(await hello(early, 'tablet')).toMatchObject({ ok: true }) // control: before the suspension it gets in
    // The race `hello` closes: a suspension committed after these handshakes were checked,
    // whose disconnect did not reach them (written to the store directly: no disconnect at all).
    const at = Date.now()
    await server.parley.store().moderation.suspend(
      { userId: A, reason: 'raid', by: 'operator', at },
      { at, actor: 'operator', action: 'suspend_user', target: A, reason: 'raid', details: {} },
    )
    expect(late.socket.connected).toBe(true) // control: still connected, so only hello can refuse it
    expect(await hello(late, 'tablet')).toMatchObject({ ok: false, error: { code: 'account_suspended' } })
    expect(await ack(late, 'devicelist.fetch', { userIds: [A] })).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
    expect(await ack(late, 'blob.get', { slot: 'backup', index: 0 })).toMatchObject({ ok: false, error: { code: 'unauthorized' } })
  }, 60_000)
})
