/**
 * Signed device lists: the user identity key signs (user id, version, devices with their
 * signing and identity keys). Verification pins the user key and refuses rollbacks and
 * same-version edits (which covers a device removed then re-added without a new version).
 */
import { InvalidDeviceListError, parseWith, SignedDeviceListSchema, type SignedDeviceList } from '@parley/protocol'
import { concat, lp, u32be, u64be } from './_bytes.js'
import { sign, verify, verifyWith, type UserIdentity } from './identity.js'
import type { CryptoProvider } from './provider/provider.js'
import { label, LABELS } from './kdf.js'

/** One device entry before signing. */
export interface DeviceListEntry {
  deviceId: string
  signingKey: string
  identityKey: string
}
/** An unsigned device list. */
export interface DeviceListInput {
  userId: string
  version: number
  devices: DeviceListEntry[]
}

/** The exact bytes the user identity key signs. */
export function deviceListSigningBytes(list: DeviceListInput): Uint8Array {
  const parts: Uint8Array[] = [label(LABELS.deviceList), lp(list.userId), u64be(list.version), u32be(list.devices.length)]
  for (const d of list.devices) parts.push(lp(d.deviceId), lp(d.signingKey), lp(d.identityKey))
  return concat(...parts)
}

/**
 * Signs a device list with the user identity key.
 * @throws {InvalidDeviceListError} when the list is malformed (duplicate device ids, bad keys).
 */
export function signDeviceList(user: UserIdentity, list: DeviceListInput): SignedDeviceList {
  const unsigned = { userId: list.userId, version: list.version, devices: list.devices.map((d) => ({ ...d })) }
  const signed = { ...unsigned, signature: sign(user.secretKey, deviceListSigningBytes(unsigned)) }
  parseList(signed)
  return signed
}

function parseList(list: unknown): SignedDeviceList {
  let parsed: SignedDeviceList
  try {
    parsed = parseWith(SignedDeviceListSchema, list, 'deviceList')
  } catch {
    throw new InvalidDeviceListError('device list is malformed')
  }
  const ids = new Set(parsed.devices.map((d) => d.deviceId))
  if (ids.size !== parsed.devices.length) throw new InvalidDeviceListError('device list repeats a device id', { userId: parsed.userId })
  return parsed
}

function sameContent(a: SignedDeviceList, b: SignedDeviceList): boolean {
  const key = (l: SignedDeviceList) => JSON.stringify(l.devices.map((d) => [d.deviceId, d.signingKey, d.identityKey]).sort())
  return a.userId === b.userId && a.version === b.version && key(a) === key(b)
}

/**
 * Verifies a signed device list against the pinned user identity key and, when given, the
 * previously accepted list.
 * @throws {InvalidDeviceListError} bad signature, malformed, other user, lower version, or the
 * same version with different devices (e.g. a device removed then re-added without a bump).
 */
export function verifyDeviceList(list: SignedDeviceList, pinnedUserKey: string, previous?: SignedDeviceList): void {
  const parsed = parseList(list)
  if (!verify(pinnedUserKey, deviceListSigningBytes(parsed), parsed.signature))
    throw new InvalidDeviceListError('device list signature does not verify under the pinned user key', { userId: parsed.userId })
  checkSuccession(parsed, previous)
}

/**
 * {@link verifyDeviceList} with the signature checked on `provider` (same rule, same errors).
 * @throws {InvalidDeviceListError} as {@link verifyDeviceList}.
 */
export async function verifyDeviceListWith(list: SignedDeviceList, pinnedUserKey: string, previous: SignedDeviceList | undefined, provider: CryptoProvider): Promise<void> {
  const parsed = parseList(list)
  if (!(await verifyWith(provider, pinnedUserKey, deviceListSigningBytes(parsed), parsed.signature)))
    throw new InvalidDeviceListError('device list signature does not verify under the pinned user key', { userId: parsed.userId })
  checkSuccession(parsed, previous)
}

/** Refuses another user's list, a lower version, or the same version with other devices. */
function checkSuccession(parsed: SignedDeviceList, previous: SignedDeviceList | undefined): void {
  if (previous === undefined) return
  if (previous.userId !== parsed.userId) throw new InvalidDeviceListError('device list is for another user', { userId: parsed.userId })
  if (parsed.version < previous.version)
    throw new InvalidDeviceListError(`device list version ${parsed.version} is lower than ${previous.version}`, { userId: parsed.userId })
  if (parsed.version === previous.version && !sameContent(parsed, previous))
    throw new InvalidDeviceListError('device list changed without a new version', { userId: parsed.userId })
}
