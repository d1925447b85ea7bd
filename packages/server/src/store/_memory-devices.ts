/**
 * The memory store's users, devices and prekeys: register (pinning the identity key, consuming
 * a reset ticket), device lists, prekey uploads and counts, and claiming bundles (each one-time
 * prekey handed out once).
 */
import { IdentityChangedError, InvalidDeviceListError, NotFoundError, type DeviceBundle } from '@parley/protocol'
import { abandonedIdentityError, deviceKey } from './_rules.js'
import { clone, type MemDevice, type MemoryState } from './_memory-state.js'
import { consumeMemoryTicket } from './reset-ticket-memory.js'
import type { ClaimedBundles, ParleyStore, PreKeyUpload } from './store.js'

type DeviceMethods = Pick<ParleyStore, 'getUser' | 'registerDevice' | 'getDevice' | 'listDevices' | 'setDeviceList' | 'publishPreKeys' | 'countPreKeys' | 'claimBundles'>

export function memoryDeviceMethods(s: MemoryState): DeviceMethods {
  const { users, abandoned, tickets, devices, activeDevices, publicDevice, counts, markActive, mustDevice } = s
  return {
    async getUser(userId) {
      const u = users.get(userId)
      return u ? clone(u) : null
    },
    async registerDevice(reg) {
      const existing = users.get(reg.userId)
      if (!existing && abandoned.get(reg.userId)?.has(reg.userIdentityKey)) throw abandonedIdentityError(reg.userId)
      if (!existing) consumeMemoryTicket(tickets, reg.userId, reg.resetTicketHash, reg.now)
      if (existing && existing.identityKey !== reg.userIdentityKey) {
        throw new IdentityChangedError('a different user identity key is pinned for this user', { userId: reg.userId })
      }
      if (existing && reg.deviceList.version < existing.deviceList.version) {
        throw new InvalidDeviceListError('device list version is older than the stored one', { userId: reg.userId })
      }
      const list = existing && reg.deviceList.version === existing.deviceList.version ? existing.deviceList : reg.deviceList
      users.set(reg.userId, { userId: reg.userId, identityKey: reg.userIdentityKey, deviceList: clone(list) })
      const key = deviceKey(reg)
      // The device id came back with new keys (decision 0022): its one-time prekeys are the previous keys' (signed by them, their secrets on the old install).
      const prior = devices.get(key)
      const prev = prior && prior.signingKey === reg.signingKey && prior.identityKey === reg.identityKey ? prior : prior && { ...prior, oneTime: undefined, kemOneTime: undefined }
      const dev: MemDevice = {
        userId: reg.userId, deviceId: reg.deviceId, signingKey: reg.signingKey, identityKey: reg.identityKey, active: true,
        inboxSeq: prev?.inboxSeq ?? 0, inboxCursor: prev?.inboxCursor ?? 0,
        noticeCursor: prev?.noticeCursor ?? s.noticeSeq,
        signedPreKey: clone(reg.signedPreKey), kemLastResort: clone(reg.kemLastResortPreKey),
        oneTime: prev?.oneTime ?? new Map(), kemOneTime: prev?.kemOneTime ?? new Map(),
      }
      for (const k of reg.oneTimePreKeys) dev.oneTime.set(k.id, clone(k))
      for (const k of reg.kemOneTimePreKeys) dev.kemOneTime.set(k.id, clone(k))
      devices.set(key, dev)
      markActive(reg.userId, list)
    },
    async getDevice(userId, deviceId) {
      const d = devices.get(deviceKey({ userId, deviceId }))
      return d ? publicDevice(d) : null
    },
    async listDevices(userId) {
      return activeDevices(userId).map(publicDevice)
    },
    async setDeviceList(userId, list) {
      const u = users.get(userId)
      if (!u) throw new NotFoundError('unknown user', { resource: 'user', id: userId })
      if (list.version <= u.deviceList.version) {
        throw new InvalidDeviceListError('device list version must increase', { userId })
      }
      u.deviceList = clone(list)
      markActive(userId, list)
    },
    async publishPreKeys(userId, deviceId, keys: PreKeyUpload) {
      const d = mustDevice({ userId, deviceId })
      if (keys.signedPreKey) d.signedPreKey = clone(keys.signedPreKey)
      if (keys.kemLastResortPreKey) d.kemLastResort = clone(keys.kemLastResortPreKey)
      for (const k of keys.oneTimePreKeys ?? []) d.oneTime.set(k.id, clone(k))
      for (const k of keys.kemOneTimePreKeys ?? []) d.kemOneTime.set(k.id, clone(k))
      return counts(d)
    },
    async countPreKeys(userId, deviceId) {
      return counts(mustDevice({ userId, deviceId }))
    },
    async claimBundles(userId, excludeDeviceId): Promise<ClaimedBundles | null> {
      const u = users.get(userId)
      if (!u) return null
      const bundles: DeviceBundle[] = []
      const remaining: ClaimedBundles['remaining'] = []
      for (const d of activeDevices(userId)) {
        if (d.deviceId === excludeDeviceId) continue
        const otId = [...d.oneTime.keys()].sort((a, b) => a - b)[0]
        const kemId = [...d.kemOneTime.keys()].sort((a, b) => a - b)[0]
        const ot = otId === undefined ? undefined : d.oneTime.get(otId)
        const kem = kemId === undefined ? undefined : d.kemOneTime.get(kemId)
        if (otId !== undefined) d.oneTime.delete(otId)
        if (kemId !== undefined) d.kemOneTime.delete(kemId)
        bundles.push({
          deviceId: d.deviceId, signingKey: d.signingKey, identityKey: d.identityKey, signedPreKey: clone(d.signedPreKey),
          kemPreKey: clone(kem ?? d.kemLastResort), kemPreKeyIsLastResort: !kem, ...(ot ? { oneTimePreKey: clone(ot) } : {}),
        })
        remaining.push({ deviceId: d.deviceId, ...counts(d) })
      }
      return { userId, userIdentityKey: u.identityKey, deviceList: clone(u.deviceList), bundles, remaining }
    },
  }
}
