/**
 * Test identities with real keys from `@parley/crypto`: a user identity key, devices with
 * signing/identity keys, a signed device list, and ready `device.register` frames.
 * Reusable by end-to-end tests in other packages.
 */
import { randomBytes } from 'node:crypto'
import {
  frankMessage, generateDeviceIdentity, generatePreKeys, generateUserIdentity, signDeviceList, signModeChange,
  type DeviceIdentity, type UserIdentity,
} from '@parley/crypto'
import type { ClientFrame, ModeChange, SignedDeviceList } from '@parley/protocol'

/** A user with devices and a signed device list covering all of them. */
export interface TestUser {
  userId: string
  identity: UserIdentity
  devices: DeviceIdentity[]
  list: SignedDeviceList
}

/** A unique user id with a readable prefix. */
export function testUserId(prefix = 'user'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`
}

/** Signs a device list for `devices` at `version`. */
export function deviceList(user: { userId: string; identity: UserIdentity }, devices: DeviceIdentity[], version: number): SignedDeviceList {
  return signDeviceList(user.identity, {
    userId: user.userId, version,
    devices: devices.map((d) => ({ deviceId: d.deviceId, signingKey: d.signing.publicKey, identityKey: d.identity.publicKey })),
  })
}

/** A user with `deviceCount` devices (`d1`, `d2`, …) and a version-1 list of all of them. */
export function makeTestUser(deviceCount = 1, userId = testUserId()): TestUser {
  const identity = generateUserIdentity()
  const devices = Array.from({ length: deviceCount }, (_, i) => generateDeviceIdentity(`d${i + 1}`))
  const user = { userId, identity, devices, list: undefined as unknown as SignedDeviceList }
  user.list = deviceList(user, devices, 1)
  return user
}

/** Adds a device to the user and signs a new list with a higher version. */
export function addTestDevice(user: TestUser): DeviceIdentity {
  const d = generateDeviceIdentity(`d${user.devices.length + 1}`)
  user.devices.push(d)
  user.list = deviceList(user, user.devices, user.list.version + 1)
  return d
}

/** A valid `device.register` frame for device `index` of `user`. */
export function registerFrame(user: TestUser, index = 0, counts: { oneTime?: number; kemOneTime?: number } = {}): ClientFrame<'device.register'> {
  const device = user.devices[index]!
  const batch = generatePreKeys(device, {
    signedPreKeyId: 1, kemLastResortId: 1,
    oneTimeStartId: 1, oneTimeCount: counts.oneTime ?? 3,
    kemOneTimeStartId: 100, kemOneTimeCount: counts.kemOneTime ?? 1,
  })
  return {
    deviceId: device.deviceId,
    userIdentityKey: user.identity.publicKey,
    signingKey: device.signing.publicKey,
    identityKey: device.identity.publicKey,
    deviceList: user.list,
    signedPreKey: batch.public.signedPreKey!,
    kemLastResortPreKey: batch.public.kemLastResortPreKey!,
    oneTimePreKeys: batch.public.oneTimePreKeys,
    kemOneTimePreKeys: batch.public.kemOneTimePreKeys,
  }
}

/** A signed upgrade to e2ee by `device` of `user`. */
export function modeChange(user: TestUser, device: DeviceIdentity, conversationId: string, ts = Date.now()): ModeChange {
  return signModeChange(device, { conversationId, from: 'server-side', to: 'e2ee', userId: user.userId, deviceId: device.deviceId, ts })
}

/** A server-side `message.send` frame with a real franking commitment (returns `nf` in the body). */
export function plainSend(conversationId: string, text: string, clientMessageId = `cm-${randomBytes(6).toString('hex')}`): ClientFrame<'message.send'> {
  const { nf, tf } = frankMessage({ text, attachments: [] })
  return { conversationId, clientMessageId, tf, mode: 'server-side', body: { text, attachments: [], nf } }
}

/**
 * An e2ee `message.send` frame with one opaque envelope per device in `to` (the server never
 * decrypts; tests put a readable marker in the "ciphertext").
 */
export function e2eeSend(conversationId: string, text: string, to: { userId: string; deviceId: string }[], clientMessageId = `cm-${randomBytes(6).toString('hex')}`): ClientFrame<'message.send'> {
  const { tf } = frankMessage({ text, attachments: [] })
  const ciphertext = Buffer.from(`${text}|${randomBytes(8).toString('hex')}`).toString('base64')
  return {
    conversationId, clientMessageId, tf, mode: 'e2ee',
    envelopes: to.map((d) => ({ userId: d.userId, deviceId: d.deviceId, type: 'message' as const, ciphertext })),
    attachments: [],
  }
}
