/**
 * The `ParleyStore` records of users, devices and prekeys (registration, uploads, claimed
 * bundles) and of device linking. Re-exported from `store.ts`.
 */
import type { DeviceBundle, DeviceRegister, SignedDeviceList } from '@parley/protocol'

type SignedPreKey = DeviceRegister['signedPreKey']
type KemPreKey = DeviceRegister['kemLastResortPreKey']
type OneTimePreKey = DeviceRegister['oneTimePreKeys'][number]

/** A user's pinned identity key and current signed device list. */
export interface UserRecord {
  userId: string
  identityKey: string
  deviceList: SignedDeviceList
}


/** A registered device. `active` is false once a newer device list leaves it out. */
export interface DeviceRecord {
  userId: string
  deviceId: string
  signingKey: string
  identityKey: string
  active: boolean
  /** Highest inbox id assigned to this device. */
  inboxSeq: number
  /** Highest inbox id this device acknowledged (its durable cursor). */
  inboxCursor: number
}

/** Everything `device.register` stores, checked by the server first. */
export interface DeviceRegistration {
  userId: string
  userIdentityKey: string
  deviceList: SignedDeviceList
  deviceId: string
  signingKey: string
  identityKey: string
  signedPreKey: SignedPreKey
  kemLastResortPreKey: KemPreKey
  oneTimePreKeys: OneTimePreKey[]
  kemOneTimePreKeys: KemPreKey[]
  now: number
  /** Hex SHA-256 of the reset ticket presented (decision 0024); consumed when this registration pins a new identity after a reset. */
  resetTicketHash?: string
}

/** New prekeys for one device; absent fields are left as they are. */
export interface PreKeyUpload {
  signedPreKey?: SignedPreKey
  kemLastResortPreKey?: KemPreKey
  oneTimePreKeys?: OneTimePreKey[]
  kemOneTimePreKeys?: KemPreKey[]
}

/** Remaining one-time prekeys of a device. */
export interface PreKeyCounts {
  oneTimePreKeys: number
  kemOneTimePreKeys: number
}

/** The result of claiming bundles: every one-time key in it was removed from the store. */
export interface ClaimedBundles {
  userId: string
  userIdentityKey: string
  deviceList: SignedDeviceList
  bundles: DeviceBundle[]
  /** What is left per device after this claim (for `keys.low`). */
  remaining: (PreKeyCounts & { deviceId: string })[]
}

/** A pending device-link request (new device waiting for its payload). */
export interface LinkRequestRecord {
  codeHash: string
  userId: string
  deviceId: string
  ephemeralKey: string
  expiresAt: number
}
