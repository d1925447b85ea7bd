/**
 * The peer key directory: fetches a user's signed device list and prekey bundles
 * (`keys.fetch`), verifies them against the pinned user identity key (trust on first use),
 * refuses rollbacks and unsigned lists, and holds a changed identity key as *pending* until
 * the app calls `acceptIdentity()` — sending to that user is blocked meanwhile.
 */
import {
  IdentityChangedError, InvalidDeviceListError, ParleyError, type DeviceAddress, type DeviceBundle, type SignedDeviceList,
} from '@parley/protocol'
import { initiateSession, sessionPeerIdentity, verifyBundle, verifyDeviceList } from '@parley/crypto'
import type { ClientCore } from './core.js'
import { K, json, type PeerRecord, type SessionRecord } from './store-layout.js'
import type { JsonValue } from './key-store/key-store.js'

type DeviceEntry = SignedDeviceList['devices'][number]

/** Verified device lists and pinned identity keys of the users this device talks to. */
export class Directory {
  /** Users whose device list changed since we last fetched it. */
  private readonly stale = new Set<string>()

  constructor(private readonly core: ClientCore) {}

  /** Marks a user's device list as out of date (on `devicelist.changed`). */
  markStale(userId: string): void {
    this.stale.add(userId)
  }

  /** The stored record of a user, or null. */
  async peer(userId: string): Promise<PeerRecord | null> {
    return this.core.store.get<JsonValue>(K.peer(userId)) as Promise<PeerRecord | null>
  }

  /** The pinned identity key of a user (ours for our own user). */
  async pinnedKey(userId: string): Promise<string | undefined> {
    const self = this.core.self()
    if (userId === self.userId) return self.user.publicKey
    return (await this.peer(userId))?.identityKey
  }

  /**
   * Throws when a changed identity key for `userId` waits for the user's decision.
   * @throws {IdentityChangedError}
   */
  async assertNoPendingIdentity(userId: string): Promise<void> {
    const rec = await this.peer(userId)
    if (rec?.pending) {
      throw new IdentityChangedError(`the identity key of "${userId}" changed; compare safety numbers, then acceptIdentity()`, { userId })
    }
  }

  /** Accepts a pending identity key: it becomes the pinned key; old sessions are dropped. */
  async acceptIdentity(userId: string): Promise<boolean> {
    return this.core.lock.run(async () => {
      const rec = await this.peer(userId)
      if (!rec?.pending) return false
      const changes: Record<string, JsonValue | null> = {
        [K.peer(userId)]: json({ userId, identityKey: rec.pending.identityKey, deviceList: rec.pending.deviceList } satisfies PeerRecord),
      }
      for (const key of await this.core.store.keys(K.sessionPrefix(userId))) changes[key] = null
      await this.core.store.saveChanges(changes)
      this.stale.add(userId)
      return true
    })
  }

  /** The verified device entry of `addr`, fetching the user's list once if it is unknown. */
  async deviceEntry(addr: DeviceAddress): Promise<DeviceEntry | undefined> {
    const find = (list?: SignedDeviceList) => list?.devices.find((d) => d.deviceId === addr.deviceId)
    const self = this.core.self()
    const known = addr.userId === self.userId ? find(self.deviceList) ?? find((await this.peer(addr.userId))?.deviceList) : find((await this.peer(addr.userId))?.deviceList)
    if (known && !this.stale.has(addr.userId)) return known
    await this.fetch(addr.userId, { initiate: false })
    return find((await this.peer(addr.userId))?.deviceList)
  }

  /**
   * The devices a message to `userIds` must be encrypted for (every listed device of each
   * user except this one), fetching bundles and starting sessions where none exists.
   * Call inside the crypto lock.
   * @throws {IdentityChangedError} when a user's identity key changed (pending acceptance).
   * @throws {InvalidDeviceListError} / `InvalidSignatureError` on a list or bundle that fails verification.
   */
  async targets(userIds: string[]): Promise<DeviceAddress[]> {
    const self = this.core.self()
    const out: DeviceAddress[] = []
    for (const userId of userIds) {
      await this.assertNoPendingIdentity(userId)
      let rec = await this.peer(userId)
      const lacking = async (r: PeerRecord) => {
        for (const d of r.deviceList.devices) {
          if (userId === self.userId && d.deviceId === self.deviceId) continue
          if (!(await this.core.store.get(K.session({ userId, deviceId: d.deviceId })))) return true
        }
        return false
      }
      if (!rec || this.stale.has(userId) || (await lacking(rec))) {
        await this.fetch(userId, { initiate: true })
        rec = await this.peer(userId)
      }
      if (!rec) continue
      for (const d of rec.deviceList.devices) {
        if (userId === self.userId && d.deviceId === self.deviceId) continue
        out.push({ userId, deviceId: d.deviceId })
      }
    }
    return out
  }

  /**
   * Fetches and verifies a user's keys; pins on first sight. With `initiate`, starts a
   * session with every listed device that has none (from its one-time bundle).
   */
  async fetch(userId: string, opts: { initiate: boolean }): Promise<void> {
    const core = this.core
    const set = await core.conn.request('keys.fetch', { userId })
    const self = core.self()
    const isSelf = userId === self.userId
    if (set.userId !== userId || set.deviceList.userId !== userId) {
      throw new InvalidDeviceListError(`keys.fetch for "${userId}" answered for another user`, { userId })
    }
    const existing = await this.peer(userId)
    const pinned = isSelf ? self.user.publicKey : existing?.identityKey
    if (pinned !== undefined && set.userIdentityKey !== pinned) {
      if (isSelf) throw new InvalidDeviceListError('the server presented a different identity key for our own user', { userId })
      // Only a self-consistent new identity is worth asking the user about.
      verifyDeviceList(set.deviceList, set.userIdentityKey)
      if (existing && existing.pending?.identityKey !== set.userIdentityKey) {
        await core.store.set(K.peer(userId), json({ ...existing, pending: { identityKey: set.userIdentityKey, deviceList: set.deviceList, seenAt: core.now() } } satisfies PeerRecord))
      }
      throw new IdentityChangedError(`the identity key of "${userId}" changed; compare safety numbers, then acceptIdentity()`, { userId })
    }
    const identityKey = pinned ?? set.userIdentityKey // trust on first use
    const previous = isSelf ? newer(existing?.deviceList, self.deviceList) : existing?.deviceList
    verifyDeviceList(set.deviceList, identityKey, previous)
    const changes: Record<string, JsonValue | null> = {}
    for (const bundle of set.bundles) {
      const entry = set.deviceList.devices.find((d) => d.deviceId === bundle.deviceId)
      if (!entry || entry.signingKey !== bundle.signingKey || entry.identityKey !== bundle.identityKey) {
        throw new InvalidDeviceListError(`bundle of device "${bundle.deviceId}" does not match the signed device list`, { userId })
      }
      verifyBundle(bundle)
      if (!opts.initiate || (isSelf && bundle.deviceId === self.deviceId)) continue
      await this.maybeInitiate(userId, bundle, changes)
    }
    changes[K.peer(userId)] = json({ userId, identityKey, deviceList: set.deviceList } satisfies PeerRecord)
    await core.store.saveChanges(changes)
    this.stale.delete(userId)
  }

  private async maybeInitiate(userId: string, bundle: DeviceBundle, changes: Record<string, JsonValue | null>) {
    const addr = { userId, deviceId: bundle.deviceId }
    const rec = await this.core.store.get<JsonValue>(K.session(addr)) as SessionRecord | null
    // Same device id with new keys (reinstall): the old session is useless.
    if (rec && rec.states.length > 0 && safePeerIdentity(rec.states[0]!) === bundle.identityKey) return
    const state = await initiateSession({ ours: this.core.self().device, theirs: bundle, provider: await this.core.provider() })
    changes[K.session(addr)] = json({ states: [state] } satisfies SessionRecord)
  }
}

function safePeerIdentity(state: SessionRecord['states'][number]): string | undefined {
  try {
    return sessionPeerIdentity(state)
  } catch (e) {
    if (ParleyError.isInstance(e) || e instanceof TypeError) return undefined
    throw e
  }
}

function newer(a?: SignedDeviceList, b?: SignedDeviceList): SignedDeviceList | undefined {
  if (!a) return b
  if (!b) return a
  return a.version >= b.version ? a : b
}
