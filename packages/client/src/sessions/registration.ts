/**
 * First-run identity and registration: the user identity key, this device's keys, the
 * signed device list and a prekey batch — secrets written to the key store before any public
 * part is sent. Also the prekey refill the server asks for with `keys.low`.
 */
import {
  generateDeviceIdentity, generatePreKeysWith, generateUserIdentity, nobleProvider, signDeviceList,
  type CryptoProvider, type DeviceIdentity, type PreKeyBatch, type PreKeySecrets, type UserIdentity,
} from '@parley/crypto'
import type { DeviceRegister, SignedDeviceList } from '@parley/protocol'
import { KEM_LAST_RESORT_ID_BASE, KEM_ONE_TIME_PREKEY_BATCH, ONE_TIME_PREKEY_BATCH, PREKEY_SLICE_KEM, PREKEY_SLICE_ONE_TIME } from '../constants.js'
import type { ClientCore } from '../core.js'
import { retireCurrent } from './prekey-rotation.js'
import type { JsonValue } from '../key-store/key-store.js'
import { K, json, STORE_LAYOUT_VERSION, type SelfRecord } from '../store-layout.js'

/** A brand-new identity for `userId` on device `deviceId` (first device of the user). */
export function newSelf(userId: string, deviceId: string, linked?: { user: UserIdentity; deviceList: SignedDeviceList }): SelfRecord {
  const user = linked?.user ?? generateUserIdentity()
  const device = generateDeviceIdentity(deviceId)
  const me = { deviceId, signingKey: device.signing.publicKey, identityKey: device.identity.publicKey }
  const others = linked ? linked.deviceList.devices.filter((d) => d.deviceId !== deviceId) : []
  const deviceList = signDeviceList(user, { userId, version: linked ? linked.deviceList.version + 1 : 1, devices: [...others, me] })
  return { userId, deviceId, user, device, deviceList, registered: false, nextOneTimeId: 1, nextKemOneTimeId: 1, signedPreKeyId: 0, kemLastResortId: KEM_LAST_RESORT_ID_BASE }
}

function mergeSecrets(a: PreKeySecrets | null, b: PreKeySecrets): PreKeySecrets {
  return {
    signedPreKeys: { ...(a?.signedPreKeys ?? {}), ...b.signedPreKeys },
    oneTimePreKeys: { ...(a?.oneTimePreKeys ?? {}), ...b.oneTimePreKeys },
    kemPreKeys: { ...(a?.kemPreKeys ?? {}), ...b.kemPreKeys },
  }
}

/**
 * Registers this device (also after the server lost it): fresh signed and one-time prekeys,
 * persisted before the frame leaves. Call inside the crypto lock. The one-time prekeys are
 * generated in slices on the client's crypto provider (ML-KEM keys on noble), so the event
 * loop keeps running.
 */
export async function register(core: ClientCore): Promise<void> {
  const self = core.self()
  const signedPreKeyId = self.signedPreKeyId + 1
  const kemLastResortId = self.kemLastResortId + 1
  const provider = (await core.provider()) ?? nobleProvider
  const head = await generatePreKeysWith(self.device, { signedPreKeyId, kemLastResortId, oneTimeStartId: 0, oneTimeCount: 0, kemOneTimeStartId: 0, kemOneTimeCount: 0 }, provider)
  const sliced = await generateOneTime(self.device, provider, self.nextOneTimeId, ONE_TIME_PREKEY_BATCH, self.nextKemOneTimeId, KEM_ONE_TIME_PREKEY_BATCH)
  const batch = { public: { ...head.public, ...sliced.public }, secrets: mergeSecrets(head.secrets, sliced.secrets) }
  // A re-registration replaces the signed and last-resort prekeys: the old ones are retired
  // (deleted after the rotation grace period, see prekey-rotation.ts), never kept forever.
  const next: SelfRecord = {
    ...self, signedPreKeyId, kemLastResortId, signedPreKeyAt: core.now(), retiredPreKeys: retireCurrent(self, core.now()),
    nextOneTimeId: self.nextOneTimeId + ONE_TIME_PREKEY_BATCH, nextKemOneTimeId: self.nextKemOneTimeId + KEM_ONE_TIME_PREKEY_BATCH,
  }
  const secrets = mergeSecrets((await core.store.get<JsonValue>(K.preKeys)) as PreKeySecrets | null, batch.secrets)
  await core.store.saveChanges({ [K.self]: json(next), [K.preKeys]: json(secrets), [K.layout]: STORE_LAYOUT_VERSION })
  core.setSelf(next)
  const frame: DeviceRegister = {
    deviceId: self.deviceId,
    userIdentityKey: self.user.publicKey,
    signingKey: self.device.signing.publicKey,
    identityKey: self.device.identity.publicKey,
    deviceList: self.deviceList,
    signedPreKey: batch.public.signedPreKey!,
    kemLastResortPreKey: batch.public.kemLastResortPreKey!,
    oneTimePreKeys: batch.public.oneTimePreKeys,
    kemOneTimePreKeys: batch.public.kemOneTimePreKeys,
  }
  // After an account reset the new identity registers only with the reset's ticket (decision 0024).
  const resetTicket = await core.store.get<string>(K.resetTicket)
  await core.conn.request('device.register', typeof resetTicket === 'string' ? { ...frame, resetTicket } : frame)
  const done = { ...core.self(), registered: true, publishedSignedPreKeyId: signedPreKeyId }
  await core.store.saveChanges({ [K.self]: json(done), ...(resetTicket !== null ? { [K.resetTicket]: null } : {}) })
  core.setSelf(done)
}

/** What `keys.low` said is running out (absent: refill both kinds). */
export interface PreKeysLow {
  oneTimePreKeys: number
  kemOneTimePreKeys: number
  threshold: number
}

/**
 * Generates and publishes one more batch of the one-time prekeys that run low. Takes the
 * crypto lock itself, and only briefly: the ids are reserved under it, the keys are generated
 * outside it in small slices (ML-KEM key generation is ~1 ms each and must not stall the
 * event loop, i.e. every send and receive of this device), the secrets are written under it,
 * and `keys.publish` goes out after it is released.
 */
export async function refillPreKeys(core: ClientCore, low?: PreKeysLow): Promise<void> {
  const oneTimeCount = !low || low.oneTimePreKeys < low.threshold ? ONE_TIME_PREKEY_BATCH : 0
  const kemCount = !low || low.kemOneTimePreKeys < low.threshold ? KEM_ONE_TIME_PREKEY_BATCH : 0
  if (oneTimeCount === 0 && kemCount === 0) return
  // Reserved in memory: a register() or another refill meanwhile starts above these ids. If
  // this process dies before the secrets are written, nothing was published with them.
  const { oneTimeStartId, kemOneTimeStartId } = await core.lock.run(async () => {
    const self = core.self()
    core.setSelf({ ...self, nextOneTimeId: self.nextOneTimeId + oneTimeCount, nextKemOneTimeId: self.nextKemOneTimeId + kemCount })
    return { oneTimeStartId: self.nextOneTimeId, kemOneTimeStartId: self.nextKemOneTimeId }
  })
  const provider = (await core.provider()) ?? nobleProvider
  const { public: batch, secrets } = await generateOneTime(core.self().device, provider, oneTimeStartId, oneTimeCount, kemOneTimeStartId, kemCount)
  await core.lock.run(async () => {
    const stored = (await core.store.get<JsonValue>(K.preKeys)) as PreKeySecrets | null
    await core.store.saveChanges({ [K.self]: json(core.self()), [K.preKeys]: json(mergeSecrets(stored, secrets)) })
  })
  await core.conn.request('keys.publish', batch)
}

/**
 * One-time prekeys (X25519 then ML-KEM) generated in slices of {@link PREKEY_SLICE_ONE_TIME}
 * / {@link PREKEY_SLICE_KEM}, yielding to the event loop between slices: key generation must
 * not stall every send and receive of this device.
 */
async function generateOneTime(device: DeviceIdentity, provider: CryptoProvider, oneTimeStartId: number, oneTimeCount: number, kemOneTimeStartId: number, kemCount: number): Promise<{ public: OneTimeBatch; secrets: PreKeySecrets }> {
  const batch: OneTimeBatch = { oneTimePreKeys: [], kemOneTimePreKeys: [] }
  let secrets: PreKeySecrets = { signedPreKeys: {}, oneTimePreKeys: {}, kemPreKeys: {} }
  for (let done = 0; done < oneTimeCount + kemCount; ) {
    const ot = Math.min(PREKEY_SLICE_ONE_TIME, Math.max(oneTimeCount - done, 0))
    const kem = ot > 0 ? 0 : Math.min(PREKEY_SLICE_KEM, oneTimeCount + kemCount - done)
    const slice = await generatePreKeysWith(device, {
      oneTimeStartId: oneTimeStartId + (ot > 0 ? done : 0), oneTimeCount: ot,
      kemOneTimeStartId: kemOneTimeStartId + (kem > 0 ? done - oneTimeCount : 0), kemOneTimeCount: kem,
    }, provider)
    batch.oneTimePreKeys.push(...slice.public.oneTimePreKeys)
    batch.kemOneTimePreKeys.push(...slice.public.kemOneTimePreKeys)
    secrets = mergeSecrets(secrets, slice.secrets)
    done += ot + kem
    if (done < oneTimeCount + kemCount) await yieldToEventLoop()
  }
  return { public: batch, secrets }
}

type OneTimeBatch = Pick<PreKeyBatch['public'], 'oneTimePreKeys' | 'kemOneTimePreKeys'>

const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0))
