/**
 * Fixtures of the store conformance suites (`contract.ts`, `contract-append.ts`,
 * `safety-contract.ts`, `moderation-contract.ts`): users,
 * registrations, messages and a franking binder with no crypto. Not part of the public entry point.
 */
import { randomBytes } from 'node:crypto'
import { ParleyError, toBase64, type DeviceAddress, type Envelope, type SignedDeviceList } from '@parley/protocol'
import type { DeviceRegistration, FrankingBinder, NewMessage, ParleyStore } from './store.js'

export const b64 = (n: number) => toBase64(new Uint8Array(randomBytes(n)))
export const uid = () => randomBytes(6).toString('hex')
export const bind: FrankingBinder = (m, seq) => ({ tf: m.tf, rf: b64(32), kid: `k${seq % 3}` })
export const code = (e: unknown) => (ParleyError.isInstance(e) ? e.code : String(e))

export async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return code(e)
  }
  throw new Error('expected a rejection')
}

export interface TestUser {
  userId: string
  key: string
  devices: { deviceId: string; signingKey: string; identityKey: string }[]
  list: SignedDeviceList
}

export function makeUser(deviceCount = 1, version = 1): TestUser {
  const userId = `u-${uid()}`
  const devices = Array.from({ length: deviceCount }, (_, i) => ({ deviceId: `d${i}`, signingKey: b64(32), identityKey: b64(32) }))
  return { userId, key: b64(32), devices, list: { userId, version, devices, signature: b64(64) } }
}

export function registration(u: TestUser, i: number, oneTime = 3, kem = 2): DeviceRegistration {
  const d = u.devices[i]!
  return {
    userId: u.userId, userIdentityKey: u.key, deviceList: u.list, ...d,
    signedPreKey: { id: 1, publicKey: b64(32), signature: b64(64) },
    kemLastResortPreKey: { id: 1000, publicKey: b64(1184), signature: b64(64) },
    oneTimePreKeys: Array.from({ length: oneTime }, (_, k) => ({ id: k + 1, publicKey: b64(32) })),
    kemOneTimePreKeys: Array.from({ length: kem }, (_, k) => ({ id: k + 1, publicKey: b64(1184), signature: b64(64) })),
    now: 1_000,
  }
}

export async function registerAll(store: ParleyStore, u: TestUser, oneTime = 3): Promise<void> {
  for (let i = 0; i < u.devices.length; i++) await store.registerDevice(registration(u, i, oneTime))
}

export const addr = (u: TestUser, i = 0): DeviceAddress => ({ userId: u.userId, deviceId: u.devices[i]!.deviceId })

export function plain(conversationId: string, sender: DeviceAddress, clientMessageId = uid()): NewMessage {
  return { id: `m-${uid()}`, conversationId, sender, clientMessageId, mode: 'server-side', tf: b64(32), sealedBody: { kid: 'dk1', data: b64(40) } }
}

export function e2ee(conversationId: string, sender: DeviceAddress, to: DeviceAddress[]): NewMessage {
  const envelopes: Envelope[] = to.map((d) => ({ ...d, type: 'message', ciphertext: b64(48) }))
  return { id: `m-${uid()}`, conversationId, sender, clientMessageId: uid(), mode: 'e2ee', tf: b64(32), envelopes, attachments: [] }
}

/** Two registered users (`a` with two devices, `b` with one by default) and their direct conversation. */
export async function pairIn(s: ParleyStore, mode: 'server-side' | 'e2ee' = 'server-side', devicesA = 2, devicesB = 1) {
  const a = makeUser(devicesA)
  const b = makeUser(devicesB)
  await registerAll(s, a)
  await registerAll(s, b)
  const { conversation } = await s.openDirectConversation({ id: `c-${uid()}`, userIds: [a.userId, b.userId], mode, upgradeRequired: false, now: 10 })
  return { a, b, c: conversation }
}

/** `withStore(fn)`: runs `fn` on a fresh store from `open` and closes it after, pass or fail. */
export function withFreshStore(open: () => Promise<ParleyStore>): (fn: (s: ParleyStore) => Promise<void>) => Promise<void> {
  return async (fn) => {
    const s = await open()
    try {
      await fn(s)
    } finally {
      await s.close()
    }
  }
}
