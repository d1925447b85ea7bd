/**
 * Row 17b — a lost device holding the user's connection slots (review finding M3). The server
 * counts a user's connections from the handshake, up to `maxConnectionsPerUser`, but only
 * registered devices join the user's room. Attack: a lost device with a session token keeps
 * every slot open with sockets that never say hello, or say it with a fresh unregistered device
 * id; the user's new device is refused at the handshake (`rate_limited`, scope `connections`)
 * and can never present its reset ticket — even once the integrator revoked the lost token,
 * since authentication happens only at the handshake. Safe outcome: `parley.resetIdentity`
 * disconnects every connection of the user, the revoked token cannot come back, and the new
 * device registers with its ticket. Only registered devices get a `goodbye` `device_revoked`
 * (review finding L6): an unregistered connection may be the user's new device mid-setup,
 * and a client gives up for good after that goodbye. Control: before the
 * reset the new device really is refused for lack of slots, with the lost token already revoked.
 * Likewise a moderator's revoke of the lost device frees the slots its unregistered connections
 * hold, while the user's other registered device stays connected.
 * Connection slots are the same in every mode; one suite over the three policies (memory store:
 * the slots are per node, in memory, whatever the store).
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Socket } from 'socket.io-client'
import { PROTOCOL_VERSION, type WireError } from '@parley/protocol'
import { memoryKeyStore, requestDeviceLink, resetIdentity, type ParleyClient } from '@parley/client'
import { openRawConnection, type RawConnection } from '../helpers/raw-connection.js'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { POLICIES } from './_world.js'

/** Small, so the test opens few sockets. */
const SLOTS = 4

let server: TestServer | undefined
const clients: ParleyClient[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close()
  await closeAll({ clients, server })
  server = undefined
})

type Held = RawConnection

/** A raw connection that never reconnects; rejects with the handshake's wire error. */
const open = (url: string, token: string) => openRawConnection(url, token, sockets)

/** The integrator's own sessions: one user, a token per device (`user#device`); a revoked token is refused. */
function sessions(): { revoked: Set<string>; authenticate: (token: string) => string } {
  const revoked = new Set<string>()
  return {
    revoked,
    authenticate: (token) => {
      if (revoked.has(token)) throw new Error('unauthorized: token revoked')
      return token.split('#')[0]!
    },
  }
}

const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as WireError & { details?: { scope?: string } })

describe.each(POLICIES)('row 17b: a lost device holding every connection slot under %s', (policy) => {
  it('blocks the new device until the reset, which disconnects every socket of the user; then the ticket registers', async () => {
    const A = `alice-${Math.random().toString(36).slice(2, 8)}`
    const lostToken = `${A}#phone`
    const newToken = `${A}#laptop`
    const { revoked, authenticate } = sessions()
    server = await startServer({ policy, limits: { maxConnectionsPerUser: SLOTS }, authenticate })
    const alice = await connect(server.url, A, { token: lostToken })
    await alice.close() // the phone is lost, its token in a thief's hands

    // The thief holds every slot: half never say hello, half say it as fresh unregistered devices.
    const held: Held[] = []
    for (let i = 0; i < SLOTS; i++) held.push(await open(server.url, lostToken))
    for (const [i, h] of held.slice(SLOTS / 2).entries()) {
      const ack = await h.socket.timeout(10_000).emitWithAck('hello', { versions: [PROTOCOL_VERSION], deviceId: `thief-${i}` })
      expect(ack).toMatchObject({ ok: true, data: { registered: false } })
    }

    // Control: the user's new device is refused at the handshake for lack of slots — still so
    // after the integrator revoked the lost token (the held sockets authenticated before).
    const blocked = await refusal(open(server.url, newToken))
    expect(blocked?.code).toBe('rate_limited')
    expect(blocked?.details?.scope).toBe('connections')
    revoked.add(lostToken)
    expect((await refusal(open(server.url, newToken)))?.details?.scope).toBe('connections')
    expect(held.every((h) => h.socket.connected && h.disconnects.length === 0)).toBe(true)

    const { ticket } = await server.parley.resetIdentity(A, { reason: 'lost the phone; re-verified by e-mail' })
    // Every held socket — hello'd or not — is disconnected by the server, without a goodbye
    // (none is a registered device; the next test shows a registered one gets it).
    await waitFor(() => held.every((h) => h.disconnects.length > 0), 10_000, 'the held sockets to be disconnected')
    for (const h of held) {
      expect(h.disconnects).toEqual(['io server disconnect'])
      expect(h.goodbyes).toEqual([])
    }
    // The revoked token cannot take the slots back.
    expect((await refusal(open(server.url, lostToken)))?.code).toBe('unauthorized')

    // The new device connects and registers the new identity with its ticket.
    const alice2 = await resetIdentity({ url: server.url, token: newToken, keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] }, ticket })
    clients.push(alice2)
    expect((await server.parley.store().listDevices(A)).map((d) => d.deviceId)).toEqual([alice2.deviceId])
    expect(await server.parley.store().resetTickets.get(A)).toBeNull()
  }, 60_000)

  it('the reset says device_revoked to registered devices only: a new device mid-setup (hello\'d, unregistered) is closed without it', async () => {
    const A = `alice-${Math.random().toString(36).slice(2, 8)}`
    server = await startServer({ policy })
    const phone = await connect(server.url, A)
    clients.push(phone)
    const phoneGone: { reason: string; code?: string }[] = []
    phone.on('disconnect', (d) => void phoneGone.push(d))
    // The user's new tablet, being set up: hello'd as an unregistered id, not yet registered.
    const tablet = await open(server.url, A)
    expect(await tablet.socket.timeout(10_000).emitWithAck('hello', { versions: [PROTOCOL_VERSION], deviceId: 'tablet' })).toMatchObject({ ok: true, data: { registered: false } })

    await server.parley.resetIdentity(A, { reason: 'lost the phone; re-verified by e-mail' })
    await waitFor(() => phoneGone.length > 0 && tablet.disconnects.length > 0, 10_000, 'both connections to be closed')
    // Control: the registered device is told it was revoked (and so stops reconnecting).
    expect(phoneGone[0]?.code).toBe('device_revoked')
    // The tablet is closed without a goodbye: an honest client reconnects and registers with the ticket.
    expect(tablet.disconnects).toEqual(['io server disconnect'])
    expect(tablet.goodbyes).toEqual([])
  }, 60_000)

  it('a moderator\'s revoke of the lost device frees the slots its unregistered connections hold; the user\'s other device stays', async () => {
    const A = `alice-${Math.random().toString(36).slice(2, 8)}`
    const phoneToken = `${A}#phone`
    const { revoked, authenticate } = sessions()
    server = await startServer({ policy, limits: { maxConnectionsPerUser: SLOTS }, authenticate })
    const socketOptions = { transports: ['websocket'], reconnectionDelay: 50, reconnectionDelayMax: 500 }
    const desk = await connect(server.url, A, { token: `${A}#desk` })
    clients.push(desk)
    const deskGone: unknown[] = []
    desk.on('disconnect', (d) => void deskGone.push(d))
    const bob = await connect(server.url, `bob-${A}`)
    clients.push(bob)
    const link = await requestDeviceLink({ deliveryReceipts: false, url: server.url, token: phoneToken, keyStore: memoryKeyStore(), socketOptions })
    await desk.linkDevice(link.code)
    const phone = await link.client // registered, then lost with its token
    clients.push(phone)
    const phoneGone: { reason: string; code?: string }[] = []
    phone.on('disconnect', (d) => void phoneGone.push(d))
    // The thief fills the remaining slots: one socket silent, one hello'd as a fresh device.
    const held = [await open(server.url, phoneToken), await open(server.url, phoneToken)]
    expect(await held[1]!.socket.timeout(10_000).emitWithAck('hello', { versions: [PROTOCOL_VERSION], deviceId: 'thief-0' })).toMatchObject({ ok: true })
    // Control: the slots are full.
    expect((await refusal(open(server.url, `${A}#tablet`)))?.details?.scope).toBe('connections')

    revoked.add(phoneToken)
    await server.parley.moderation.revokeDevice(A, phone.deviceId, { reason: 'lost phone' })
    await waitFor(() => held.every((h) => h.disconnects.length > 0) && phoneGone.length > 0, 10_000, 'the lost device\'s connections to be disconnected')
    for (const h of held) expect(h.disconnects).toEqual(['io server disconnect'])
    expect(phoneGone[0]?.code).toBe('device_revoked')
    // The user's other registered device kept its connection (and its slot) and works.
    expect(deskGone).toEqual([])
    expect((await desk.conversations.open(`bob-${A}`)).id).toMatch(/.+/)
    // A new device of the user gets a slot.
    const tablet = await open(server.url, `${A}#tablet`)
    expect(tablet.socket.connected).toBe(true)
  }, 60_000)
})
