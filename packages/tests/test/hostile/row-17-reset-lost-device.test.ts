/**
 * Row 17b — a lost device after an account reset (issue 17, decision 0023). Every device of a
 * user holds the user identity secret. After `parley.resetIdentity`, a lost device that still
 * has a token signs a device list naming a brand-new device id under the **old** identity and
 * registers it before the user's new device does — without the fix the server pinned it and
 * peers saw no identity change. Safe outcome: the server refuses the abandoned key
 * (`IdentityChangedError`), stores nothing, and the user's own reset then registers a new
 * identity that peers must accept. Control: the same forged registration, made by the same
 * tool for a user who was *not* reset, registers (so the refusal is the fix, not the tool).
 * Registration is the same in every mode; one suite over the three policies.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateDeviceIdentity, signDeviceList, type DeviceIdentity, type UserIdentity } from '@parley/crypto'
import { memoryKeyStore, resetIdentity, type KeyStore, type ParleyClient } from '@parley/client'
import type { SignedDeviceList } from '@parley/protocol'
import { closeAll, connect, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { POLICIES } from './_world.js'

let server: TestServer | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients, server })
  server = undefined
})

interface Self { userId: string; deviceId: string; user: UserIdentity; device: DeviceIdentity; deviceList: SignedDeviceList; registered: boolean }

/** The lost device's identity record, as a thief copied it (before the device was closed). */
const copySelf = async (store: KeyStore) => structuredClone((await store.get('self')) as unknown as Self)

/**
 * What a thief does with a lost device's key store: a new device id, new device keys, and a
 * device list signed with the user identity secret the lost device holds.
 */
async function forgeNewDevice(self: Self, deviceId: string): Promise<KeyStore> {
  const device = generateDeviceIdentity(deviceId)
  const me = { deviceId, signingKey: device.signing.publicKey, identityKey: device.identity.publicKey }
  const deviceList = signDeviceList(self.user, { userId: self.userId, version: self.deviceList.version + 1, devices: [...self.deviceList.devices, me] })
  const forged = memoryKeyStore()
  await forged.saveChanges({ layout: 1, self: { ...self, deviceId, device, deviceList, registered: false } as never })
  return forged
}

const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => e as { code?: string; message?: string })

describe.each(POLICIES)('row 17b: a lost device after an account reset under %s', (policy) => {
  it('cannot register a new device id under the abandoned identity; the user\'s reset then works; control: the same forgery registers for a user not reset', async () => {
    server = await startServer({ policy })
    const tag = Math.random().toString(36).slice(2, 8)
    const A = `alice-${tag}`
    const B = `bob-${tag}`
    const C = `carol-${tag}`
    const aliceStore = memoryKeyStore()
    const alice = await connect(server.url, A, { keyStore: aliceStore })
    const bob = await connect(server.url, B)
    clients.push(bob)
    const ca = await alice.conversations.open(B)
    await ca.send({ text: 'before the reset' })
    await waitFor(async () => !!bob.conversations.get(ca.id), 10_000, 'bob sees the conversation')
    const cb = bob.conversations.get(ca.id)!
    const oldKey = (await server.parley.store().getUser(A))!.identityKey
    const aliceLost = await copySelf(aliceStore)
    await alice.close() // every device lost — one of them to a thief

    // Control: the thief's tool makes a registration the server accepts when nothing was reset.
    const carolStore = memoryKeyStore()
    const carol = await connect(server.url, C, { keyStore: carolStore })
    const carolLost = await copySelf(carolStore)
    await carol.close()
    const carolForged = await connect(server.url, C, { keyStore: await forgeNewDevice(carolLost, 'thief-ctl') })
    clients.push(carolForged)
    expect(carolForged.deviceId).toBe('thief-ctl')
    expect((await server.parley.store().getDevice(C, 'thief-ctl'))?.active).toBe(true)

    // The integrator resets alice; the thief races her new device with the old identity.
    await server.parley.resetIdentity(A, { reason: 'lost every device; re-verified by e-mail' })
    const refused = await errorOf(connect(server.url, A, { keyStore: await forgeNewDevice(aliceLost, 'thief') }))
    expect(refused?.code).toBe('identity_changed')
    expect(refused?.message).toMatch(/abandoned/) // the registration reached the server and was refused there
    expect(await server.parley.store().getDevice(A, 'thief')).toBeNull()
    expect(await server.parley.store().getUser(A)).toBeNull() // nothing pinned

    // Alice's own reset still works, with a new key, and bob must accept it.
    const alice2 = await resetIdentity({ url: server.url, token: A, keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
    clients.push(alice2)
    const newKey = (await server.parley.store().getUser(A))!.identityKey
    expect(newKey).not.toBe(oldKey)
    expect(await cb.acceptIdentity()).toBe(true)
    // The thief cannot come back after the new identity either.
    const late = await errorOf(connect(server.url, A, { keyStore: await forgeNewDevice(aliceLost, 'thief-2') }))
    expect(late?.code).toBe('identity_changed')
    expect((await server.parley.store().getUser(A))!.identityKey).toBe(newKey)
  })
})
