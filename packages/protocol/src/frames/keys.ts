/**
 * Key directory frames: device registration, prekey uploads, signed device lists and the
 * bundles handed out for PQXDH. Signatures are checked by the server with `@parley/crypto`.
 */
import * as v from 'valibot'
import { MAX_RESET_TICKET_LENGTH } from '../limits-backup.js'
import { KEM_PUBLIC_KEY_BYTES, MAX_DEVICE_LIST_FETCH, MAX_DEVICES_PER_USER, MAX_PREKEYS_PER_UPLOAD } from '../limits.js'
import {
  base64Exact, IdSchema, text, list, PreKeyIdSchema, PublicKeySchema, SeqSchema, SignatureSchema, TimestampSchema,
  uniqueIdList, UserIdSchema,
} from './common.js'

export const KemPublicKeySchema = base64Exact(KEM_PUBLIC_KEY_BYTES)

/** An X25519 one-time prekey. */
export const OneTimePreKeySchema = v.strictObject({ id: PreKeyIdSchema, publicKey: PublicKeySchema })
/** The signed X25519 prekey (signed by the device signing key). */
export const SignedPreKeySchema = v.strictObject({ id: PreKeyIdSchema, publicKey: PublicKeySchema, signature: SignatureSchema })
/** An ML-KEM-768 prekey (one-time or last-resort), signed by the device signing key. */
export const KemPreKeySchema = v.strictObject({ id: PreKeyIdSchema, publicKey: KemPublicKeySchema, signature: SignatureSchema })

/** One device entry in a signed device list. */
export const DeviceListEntrySchema = v.strictObject({
  deviceId: IdSchema,
  signingKey: PublicKeySchema,
  identityKey: PublicKeySchema,
})
/** A user's device list, signed by the user identity key (Ed25519). */
export const SignedDeviceListSchema = v.strictObject({
  userId: UserIdSchema,
  version: SeqSchema,
  devices: list(DeviceListEntrySchema, MAX_DEVICES_PER_USER, 1),
  signature: SignatureSchema,
})
export type SignedDeviceList = v.InferOutput<typeof SignedDeviceListSchema>

/** First registration of a device: identity, signed device list, and an initial prekey set. */
export const DeviceRegisterSchema = v.strictObject({
  deviceId: IdSchema,
  userIdentityKey: PublicKeySchema,
  signingKey: PublicKeySchema,
  identityKey: PublicKeySchema,
  deviceList: SignedDeviceListSchema,
  signedPreKey: SignedPreKeySchema,
  kemLastResortPreKey: KemPreKeySchema,
  oneTimePreKeys: uniqueIdList(OneTimePreKeySchema, MAX_PREKEYS_PER_UPLOAD),
  kemOneTimePreKeys: uniqueIdList(KemPreKeySchema, MAX_PREKEYS_PER_UPLOAD),
  /**
   * The one-time ticket of an account reset (decision 0024): required by the registration that
   * pins a new identity after `parley.resetIdentity`, ignored otherwise.
   */
  resetTicket: v.optional(text(MAX_RESET_TICKET_LENGTH, 1)),
})
export type DeviceRegister = v.InferOutput<typeof DeviceRegisterSchema>

/** Publish or rotate prekeys for the calling device. */
export const KeysPublishSchema = v.strictObject({
  signedPreKey: v.optional(SignedPreKeySchema),
  kemLastResortPreKey: v.optional(KemPreKeySchema),
  oneTimePreKeys: v.optional(uniqueIdList(OneTimePreKeySchema, MAX_PREKEYS_PER_UPLOAD)),
  kemOneTimePreKeys: v.optional(uniqueIdList(KemPreKeySchema, MAX_PREKEYS_PER_UPLOAD)),
})
export type KeysPublish = v.InferOutput<typeof KeysPublishSchema>

/** Publish a new version of the caller's signed device list. */
export const DeviceListPublishSchema = v.strictObject({ deviceList: SignedDeviceListSchema })

/** Ask for the bundles of every device of a user. */
export const KeysFetchSchema = v.strictObject({ userId: UserIdSchema })

/**
 * Signed device lists of users, without claiming any prekey: what a client needs to check a
 * signature by one of their devices (a group roster record). Unknown users are left out.
 */
export const DeviceListFetchSchema = v.strictObject({ userIds: list(UserIdSchema, MAX_DEVICE_LIST_FETCH, 1) })
export const DeviceListFetchResultSchema = v.strictObject({
  lists: list(v.strictObject({ userId: UserIdSchema, userIdentityKey: PublicKeySchema, deviceList: SignedDeviceListSchema }), MAX_DEVICE_LIST_FETCH),
})
export type DeviceListFetchResult = v.InferOutput<typeof DeviceListFetchResultSchema>

/** What a peer needs to start PQXDH with one device. One-time keys are each handed out once. */
export const DeviceBundleSchema = v.strictObject({
  deviceId: IdSchema,
  signingKey: PublicKeySchema,
  identityKey: PublicKeySchema,
  signedPreKey: SignedPreKeySchema,
  kemPreKey: KemPreKeySchema,
  /** True when `kemPreKey` is the last-resort key (no one-time ML-KEM key was left). */
  kemPreKeyIsLastResort: v.boolean(),
  oneTimePreKey: v.optional(OneTimePreKeySchema),
})
export type DeviceBundle = v.InferOutput<typeof DeviceBundleSchema>

/** Answer to `keys.fetch`. */
export const KeyBundleSetSchema = v.strictObject({
  userId: UserIdSchema,
  userIdentityKey: PublicKeySchema,
  deviceList: SignedDeviceListSchema,
  bundles: list(DeviceBundleSchema, MAX_DEVICES_PER_USER),
})
export type KeyBundleSet = v.InferOutput<typeof KeyBundleSetSchema>

/** Remaining one-time prekeys of the calling device (server → owning device). */
export const KeysLowSchema = v.strictObject({
  oneTimePreKeys: SeqSchema,
  kemOneTimePreKeys: SeqSchema,
  threshold: SeqSchema,
})
export type KeysLow = v.InferOutput<typeof KeysLowSchema>

/** A user's device list changed (server → clients that talk to that user). */
export const DeviceListChangedSchema = v.strictObject({ userId: UserIdSchema, version: SeqSchema, ts: TimestampSchema })
export type DeviceListChanged = v.InferOutput<typeof DeviceListChangedSchema>
