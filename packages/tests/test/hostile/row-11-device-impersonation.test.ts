/**
 * Issue 12, row 11: a second connection with the same user token says `hello` as an existing
 * device id. The server used to attach it to that device — it could move the device's inbox
 * cursor, replace its prekeys and send as it. Now a device the server knows must prove, in
 * its hello, possession of the signing key the server registered for it: an Ed25519 signature
 * over this connection's `hello.challenge` nonce (single use, short-lived), the user id and
 * the device id, under a domain label. A failed proof is `device_proof_failed`
 * (`DeviceProofError`, an `UnauthorizedError`) and the connection stays unattached.
 *
 * Raw socket.io-client sockets against a real server; the victim is a real client. Control:
 * the same raw path, with a correct proof from the real device key, IS accepted and can move
 * the cursor and publish prekeys — so each refusal is due to the proof, not the path.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { io as ioClient, type Socket } from 'socket.io-client'
import {
  DeviceProofError, SUPPORTED_PROTOCOL_VERSIONS, UnauthorizedError, errorFromWire, type AckResponse, type HelloProof,
} from '@parley/protocol'
import { frankMessage, generateDeviceIdentity, signHelloProof, type DeviceIdentity } from '@parley/crypto'
import { memoryKeyStore, type KeyStore, type ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { received } from '../helpers/moderation-world.js'

let server: TestServer
const clients: ParleyClient[] = []
const sockets: Socket[] = []
afterEach(async () => {
  for (const s of sockets.splice(0)) s.disconnect()
  for (const c of clients.splice(0)) await c.close()
  await server?.close()
})

interface Raw {
  socket: Socket
  request<T = unknown>(event: string, frame: unknown): Promise<AckResponse<T>>
}

/** A raw socket with `token`, connected (no hello yet). */
async function raw(token: string): Promise<Raw> {
  const socket = ioClient(server.url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true })
  sockets.push(socket)
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve())
    socket.once('connect_error', reject)
  })
  return { socket, request: <T>(event: string, frame: unknown) => socket.timeout(10_000).emitWithAck(event, frame) as Promise<AckResponse<T>> }
}

const hello = (r: Raw, deviceId: string, proof?: HelloProof) =>
  r.request<{ registered: boolean; inboxCursor: number }>('hello', { versions: [...SUPPORTED_PROTOCOL_VERSIONS], deviceId, ...(proof ? { proof } : {}) })

async function challenge(r: Raw): Promise<string> {
  const res = await r.request<{ nonce: string }>('hello.challenge', {})
  if (!res.ok) throw errorFromWire(res.error)
  return res.data.nonce
}

/** The typed error of a refused ack (fails the test when it was accepted). */
function refused(res: AckResponse<unknown>) {
  if (res.ok) throw new Error(`expected a refusal, got ${JSON.stringify(res.data)}`)
  return errorFromWire(res.error)
}

async function deviceOf(keyStore: KeyStore): Promise<DeviceIdentity> {
  return ((await keyStore.get('self')) as unknown as { device: DeviceIdentity }).device
}

/** Alice (real client, the victim) has two readable messages from Bob, received and acked. */
async function setup() {
  server = await startServer({ policy: 'server-side' })
  const aliceStore = memoryKeyStore()
  const alice = await connect(server.url, 'alice', { keyStore: aliceStore })
  const bob = await connect(server.url, 'bob')
  clients.push(alice, bob)
  const ca = await alice.conversations.open('bob')
  const cb = await bob.conversations.open('alice')
  for (const text of ['one', 'two']) {
    await cb.send({ text })
    await received(ca, text)
  }
  const store = server.parley.store()
  const victim = { userId: 'alice', deviceId: alice.deviceId }
  await waitFor(async () => (await store.getDevice('alice', alice.deviceId))!.inboxCursor >= 2, 10_000, 'alice acks her inbox')
  const snapshot = async () => {
    const d = (await store.getDevice('alice', alice.deviceId))!
    return { cursor: d.inboxCursor, inboxSeq: d.inboxSeq, prekeys: await store.countPreKeys('alice', alice.deviceId), signingKey: d.signingKey }
  }
  return { alice, aliceStore, bob, ca, cb, victim, store, snapshot, device: await deviceOf(aliceStore) }
}

/** What an attached connection could do as the device: move its cursor, replace prekeys, send. */
async function actAsDevice(r: Raw, conversationId: string) {
  const { nf, tf } = frankMessage({ text: 'sent as alice', attachments: [] })
  return {
    ack: await r.request('inbox.ack', { upTo: 1 }),
    publish: await r.request('keys.publish', { oneTimePreKeys: [{ id: 90_001, publicKey: 'A'.repeat(43) + '=' }] }),
    send: await r.request('message.send', { conversationId, clientMessageId: `cm-${Math.random().toString(36).slice(2)}`, tf, mode: 'server-side', body: { text: 'sent as alice', attachments: [], nf } }),
  }
}

describe('row 11: device impersonation with a stolen user token', () => {
  it('hello as an existing device without a proof → device_proof_failed; cursor, prekeys, sending untouched', async () => {
    const { victim, ca, snapshot } = await setup()
    const before = await snapshot()
    const thief = await raw('alice')
    const err = refused(await hello(thief, victim.deviceId))
    expect(DeviceProofError.isInstance(err)).toBe(true)
    expect(UnauthorizedError.isInstance(err)).toBe(true) // a kind of unauthorized
    expect(err).toMatchObject({ code: 'device_proof_failed', details: { deviceId: victim.deviceId, reason: 'missing' } })
    const tried = await actAsDevice(thief, ca.id)
    for (const r of Object.values(tried)) expect(refused(r).code).toBe('unauthorized')
    expect(await snapshot()).toEqual(before)
    expect((await ca.history({ limit: 10 })).messages.map((m) => m.text)).toEqual(['one', 'two'])
  })

  it('a wrong proof (another key), a proof for another connection, a reused nonce → refused with the reason', async () => {
    const { victim, ca, snapshot, device } = await setup()
    const before = await snapshot()
    const sign = (key: DeviceIdentity, nonce: string, deviceId = victim.deviceId) => ({ nonce, signature: signHelloProof(key, { nonce, userId: 'alice', deviceId }) })

    // Signed by a key the thief made up.
    const thief = await raw('alice')
    const n1 = await challenge(thief)
    expect(refused(await hello(thief, victim.deviceId, sign(generateDeviceIdentity(victim.deviceId), n1)))).toMatchObject({ code: 'device_proof_failed', details: { reason: 'bad_signature' } })
    // The nonce was consumed by that failure: the real key's proof over it no longer counts.
    expect(refused(await hello(thief, victim.deviceId, sign(device, n1)))).toMatchObject({ code: 'device_proof_failed', details: { reason: 'no_challenge' } })

    // A genuine proof captured on another connection does not transfer.
    const other = await raw('alice')
    const foreign = sign(device, await challenge(other))
    const thief2 = await raw('alice')
    await challenge(thief2)
    expect(refused(await hello(thief2, victim.deviceId, foreign))).toMatchObject({ code: 'device_proof_failed', details: { reason: 'wrong_nonce' } })
    // Without asking for a challenge at all.
    const thief3 = await raw('alice')
    expect(refused(await hello(thief3, victim.deviceId, foreign))).toMatchObject({ code: 'device_proof_failed', details: { reason: 'no_challenge' } })
    // The real key, but signed for another device id or another user: the ids are bound.
    const thief4 = await raw('alice')
    const n4 = await challenge(thief4)
    expect(refused(await hello(thief4, victim.deviceId, sign(device, n4, 'other-device')))).toMatchObject({ details: { reason: 'bad_signature' } })
    const thief5 = await raw('alice')
    const n5 = await challenge(thief5)
    expect(refused(await hello(thief5, victim.deviceId, { nonce: n5, signature: signHelloProof(device, { nonce: n5, userId: 'bob', deviceId: victim.deviceId }) }))).toMatchObject({ details: { reason: 'bad_signature' } })

    for (const t of [thief, thief2, thief3, thief4, thief5]) {
      const tried = await actAsDevice(t, ca.id)
      for (const r of Object.values(tried)) expect(refused(r).code).toBe('unauthorized')
    }
    expect(await snapshot()).toEqual(before)
  })

  it('replaying the device\'s public registration (device list + bundle from keys.fetch) does not attach either', async () => {
    server = await startServer({ policy: 'server-side' })
    // The thief says hello as carol's device id before carol's device first registers.
    const thief = await raw('carol')
    expect(await hello(thief, 'd-carol')).toMatchObject({ ok: true, data: { registered: false } })
    const carolStore = memoryKeyStore()
    const carol = await connect(server.url, 'carol', { keyStore: carolStore, deviceId: 'd-carol' })
    clients.push(carol)
    // Everything in a device.register frame is public once registered: the signed list and the bundle.
    const store = server.parley.store()
    const user = (await store.getUser('carol'))!
    const bundle = (await store.claimBundles('carol'))!.bundles[0]!
    const replay = {
      deviceId: 'd-carol', userIdentityKey: user.identityKey, signingKey: bundle.signingKey, identityKey: bundle.identityKey,
      deviceList: user.deviceList, signedPreKey: bundle.signedPreKey, kemLastResortPreKey: bundle.kemPreKey, oneTimePreKeys: [], kemOneTimePreKeys: [],
    }
    const before = await store.getDevice('carol', 'd-carol')
    expect(refused(await thief.request('device.register', replay))).toMatchObject({ code: 'device_proof_failed' })
    expect(refused(await thief.request('inbox.ack', { upTo: 1 })).code).toBe('unauthorized')
    expect(await store.getDevice('carol', 'd-carol')).toEqual(before)

    // Control: the same replayed frame on a connection that proved carol's key passes every other check.
    const owner = await raw('carol')
    const nonce = await challenge(owner)
    const device = await deviceOf(carolStore)
    expect(await hello(owner, 'd-carol', { nonce, signature: signHelloProof(device, { nonce, userId: 'carol', deviceId: 'd-carol' }) })).toMatchObject({ ok: true, data: { registered: true } })
    expect(await owner.request('device.register', replay)).toMatchObject({ ok: true })
  })

  it('a real client with the same token and device id but without the key store → DeviceProofError', async () => {
    const { alice, snapshot } = await setup()
    const before = await snapshot()
    const err = await connect(server.url, 'alice', { deviceId: alice.deviceId, connectTimeoutMs: 10_000 }).then(
      (c) => {
        clients.push(c)
        return null
      },
      (e: unknown) => e,
    )
    expect(DeviceProofError.isInstance(err)).toBe(true)
    expect(await snapshot()).toEqual(before)
  })

  it('control: the same raw path with a correct proof from the real device key is accepted and acts as the device', async () => {
    const { victim, ca, snapshot, device } = await setup()
    const before = await snapshot()
    const owner = await raw('alice')
    const nonce = await challenge(owner)
    const ok = await hello(owner, victim.deviceId, { nonce, signature: signHelloProof(device, { nonce, userId: 'alice', deviceId: victim.deviceId }) })
    expect(ok).toMatchObject({ ok: true, data: { registered: true, inboxCursor: before.cursor } })
    // Now every action the thief was refused goes through: acks are taken, prekeys are
    // added, sends land as alice's device.
    const done = await actAsDevice(owner, ca.id)
    expect(done.ack).toMatchObject({ ok: true })
    expect(done.publish).toMatchObject({ ok: true })
    expect(done.send).toMatchObject({ ok: true })
    const after = await snapshot()
    expect(after.prekeys.oneTimePreKeys).toBe(before.prekeys.oneTimePreKeys + 1)
    expect(await owner.request('inbox.ack', { upTo: before.inboxSeq })).toMatchObject({ ok: true })
    // The real client keeps working beside it (a device may hold several connections).
    await waitFor(async () => (await ca.history({ limit: 10 })).messages.some((m) => m.text === 'sent as alice'), 10_000, 'message sent as alice')
  })
})
