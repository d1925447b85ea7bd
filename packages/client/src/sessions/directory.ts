/**
 * The peer key directory: fetches a user's signed device list and prekey bundles
 * (`keys.fetch`), verifies them against the pinned user identity key (trust on first use),
 * refuses rollbacks and unsigned lists, and holds a changed identity key as *pending* until
 * the app calls `acceptIdentity()` — sending to that user is blocked meanwhile.
 */
import {
  IdentityChangedError, InvalidDeviceListError, MAX_DEVICE_LIST_FETCH, ParleyError, type DeviceAddress, type DeviceBundle, type SignedDeviceList,
} from '@parley/protocol'
import {
  initiateSession, sessionPeerIdentity, verifyBundle, verifyBundleWith, verifyDeviceList, type CryptoProvider,
} from '@parley/crypto'
import type { ClientCore } from '../core.js'
import { MAX_PREVIOUS_SESSIONS } from '../constants.js'
import { K, json, type PeerRecord, type SessionRecord } from '../store-layout.js'
import type { JsonValue } from '../key-store/key-store.js'
import { forgetChainsOfIdentity } from '../groups/sender-key-store.js'

type DeviceEntry = SignedDeviceList['devices'][number]

/** Verified device lists and pinned identity keys of the users this device talks to. */
export class Directory {
  /** Users whose device list changed since we last fetched it. */
  private readonly stale = new Set<string>()
  /** How often each user was marked stale (a fetch started before a mark does not clear it). */
  private readonly staleMarks = new Map<string, number>()
  /** Device-list lookups (no session set-up) in flight, by user. */
  private readonly lookups = new Map<string, Promise<void>>()
  /** `devicelist.fetch` lookups in flight, by user. */
  private readonly listLookups = new Map<string, Promise<void>>()

  constructor(private readonly core: ClientCore) {}

  /** Marks a user's device list as out of date (on `devicelist.changed`). */
  markStale(userId: string): void {
    this.stale.add(userId)
    this.staleMarks.set(userId, (this.staleMarks.get(userId) ?? 0) + 1)
  }

  /**
   * Re-reads a user's signed device list when it changed since (`devicelist.changed`), without
   * claiming prekeys: a new identity key (an account reset, docs/recovery.md) becomes pending.
   */
  async refreshIfStale(userId: string): Promise<void> {
    if (!this.stale.has(userId)) return
    await this.listedDevice({ userId, deviceId: '' }).catch((e: unknown) => {
      if (!ParleyError.is(e, 'identity_changed')) throw e
    })
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

  /** Accepts a pending identity key: it becomes the pinned key; old sessions and group sender-key chains are dropped. */
  async acceptIdentity(userId: string): Promise<boolean> {
    await this.refreshIfStale(userId) // a reset identity the server announced is read (and verified) first
    return this.core.lock.run(async () => {
      const rec = await this.peer(userId)
      if (!rec?.pending) return false
      const changes: Record<string, JsonValue | null> = {
        [K.peer(userId)]: json({ userId, identityKey: rec.pending.identityKey, deviceList: rec.pending.deviceList } satisfies PeerRecord),
      }
      for (const key of await this.core.store.keys(K.sessionPrefix(userId))) changes[key] = null
      // Group sender keys go with the sessions: the old install's chains are not read, ours are redistributed.
      await forgetChainsOfIdentity(this.core.store, userId, changes)
      await this.core.store.saveChanges(changes)
      this.markStale(userId)
      return true
    })
  }

  /** The verified device entry of `addr`, fetching the user's list once if it is unknown. */
  async deviceEntry(addr: DeviceAddress): Promise<DeviceEntry | undefined> {
    const find = (list?: SignedDeviceList) => list?.devices.find((d) => d.deviceId === addr.deviceId)
    const self = this.core.self()
    const known = addr.userId === self.userId ? find(self.deviceList) ?? find((await this.peer(addr.userId))?.deviceList) : find((await this.peer(addr.userId))?.deviceList)
    if (known && !this.stale.has(addr.userId)) return known
    await this.lookup(addr.userId)
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
    // Every user's keys are fetched at once: the first message to a peer costs one round
    // trip, not one per user (the peer and our own other devices).
    const settled = await Promise.allSettled(userIds.map(async (userId) => {
      await this.assertNoPendingIdentity(userId)
      const rec = await this.peer(userId)
      if (rec && !this.stale.has(userId) && !(await this.lacking(rec))) return rec
      await this.fetch(userId, { initiate: true })
      return this.peer(userId)
    }))
    const out: DeviceAddress[] = []
    for (const [i, r] of settled.entries()) {
      if (r.status === 'rejected') throw r.reason
      if (!r.value) continue
      const userId = userIds[i]!
      for (const d of r.value.deviceList.devices) {
        if (userId === self.userId && d.deviceId === self.deviceId) continue
        out.push({ userId, deviceId: d.deviceId })
      }
    }
    return out
  }

  /** True when a listed device (other than this one) has no session yet. */
  private async lacking(r: PeerRecord): Promise<boolean> {
    const self = this.core.self()
    for (const d of r.deviceList.devices) {
      if (r.userId === self.userId && d.deviceId === self.deviceId) continue
      const rec = (await this.core.store.get<JsonValue>(K.session({ userId: r.userId, deviceId: d.deviceId }))) as SessionRecord | null
      // No session, one marked for renewal, one this version cannot use (an older state format),
      // or one with keys the list no longer names (the device id came back with new keys).
      if (!rec || rec.renew || safePeerIdentity(rec.states[0]) !== d.identityKey) return true
    }
    return false
  }

  /**
   * The identity key each listed device of `userIds` has in the verified list this device
   * holds (ours for our own user), by `userId\ndeviceId`; reads the store only (no request).
   */
  async listedKeys(userIds: Iterable<string>): Promise<Map<string, string>> {
    const self = this.core.self()
    const out = new Map<string, string>()
    for (const u of new Set(userIds)) {
      const stored = (await this.peer(u))?.deviceList
      const list = u === self.userId ? newer(stored, self.deviceList) : stored
      for (const d of list?.devices ?? []) out.set(`${u}\n${d.deviceId}`, d.identityKey)
    }
    return out
  }

  /**
   * Fetches a user's verified device list ahead of need (a peer just opened a conversation
   * with us: their first message will need it), so that message is not held up by a round
   * trip. Failures are left for the real use to surface.
   */
  prefetch(userId: string): void {
    if (userId === this.core.self().userId) return
    void this.peer(userId).then((rec) => (rec ? undefined : this.lookup(userId))).catch(() => {})
  }

  /**
   * The verified device entry of `addr` from its user's signed device list, fetched with
   * `devicelist.fetch` when unknown or stale: no prekey is claimed (checking a roster signer
   * must not spend the signer's one-time prekeys, one per checking device).
   */
  async listedDevice(addr: DeviceAddress): Promise<DeviceEntry | undefined> {
    const find = (list?: SignedDeviceList) => list?.devices.find((d) => d.deviceId === addr.deviceId)
    const self = this.core.self()
    const known = addr.userId === self.userId ? find(self.deviceList) ?? find((await this.peer(addr.userId))?.deviceList) : find((await this.peer(addr.userId))?.deviceList)
    if (known && !this.stale.has(addr.userId)) return known
    let p = this.listLookups.get(addr.userId)
    if (!p) {
      p = this.fetchList(addr.userId).finally(() => this.listLookups.delete(addr.userId))
      this.listLookups.set(addr.userId, p)
    }
    await p
    return find((await this.peer(addr.userId))?.deviceList)
  }

  /**
   * The verified device lists of `userIds` (ours for our own user), fetching in one
   * `devicelist.fetch` per {@link MAX_DEVICE_LIST_FETCH} users those unknown or stale (no
   * prekey claimed). A user whose identity key changed (pending acceptance) keeps the list
   * verified under the pinned key; a user the server does not list is left out.
   */
  async deviceLists(userIds: readonly string[]): Promise<Map<string, DeviceEntry[]>> {
    const self = this.core.self()
    const listOf = async (u: string) => (u === self.userId ? newer((await this.peer(u))?.deviceList, self.deviceList) : (await this.peer(u))?.deviceList)
    const missing: string[] = []
    for (const u of new Set(userIds)) if (!(await listOf(u)) || this.stale.has(u)) missing.push(u)
    for (let i = 0; i < missing.length; i += MAX_DEVICE_LIST_FETCH) {
      const batch = missing.slice(i, i + MAX_DEVICE_LIST_FETCH)
      const marks = new Map(batch.map((u) => [u, this.staleMarks.get(u)]))
      const { lists } = await this.core.conn.request('devicelist.fetch', { userIds: batch })
      for (const got of lists) {
        if (!batch.includes(got.userId) || got.deviceList.userId !== got.userId) continue
        try {
          const identityKey = await this.checkPresented(got.userId, got.userIdentityKey, got.deviceList)
          await this.core.store.set(K.peer(got.userId), json({ userId: got.userId, identityKey, deviceList: got.deviceList } satisfies PeerRecord))
          if (this.staleMarks.get(got.userId) === marks.get(got.userId)) this.stale.delete(got.userId)
        } catch (e) {
          if (!ParleyError.is(e, 'identity_changed')) throw e
        }
      }
    }
    const out = new Map<string, DeviceEntry[]>()
    for (const u of new Set(userIds)) {
      const list = await listOf(u)
      if (list) out.set(u, list.devices)
    }
    return out
  }

  /** Fetches and verifies a user's signed device list only (pinning as `fetch` does). */
  private async fetchList(userId: string): Promise<void> {
    const marks = this.staleMarks.get(userId)
    const { lists } = await this.core.conn.request('devicelist.fetch', { userIds: [userId] })
    const got = lists.find((l) => l.userId === userId)
    if (!got) return
    if (got.deviceList.userId !== userId) throw new InvalidDeviceListError(`devicelist.fetch for "${userId}" answered for another user`, { userId })
    const identityKey = await this.checkPresented(userId, got.userIdentityKey, got.deviceList)
    await this.core.store.set(K.peer(userId), json({ userId, identityKey, deviceList: got.deviceList } satisfies PeerRecord))
    if (this.staleMarks.get(userId) === marks) this.stale.delete(userId)
  }

  /**
   * Checks the identity key and signed device list the server presented for `userId` against
   * what is pinned (trust on first use). A changed key is recorded as pending (only when the
   * new list is self-consistent) and refused with `IdentityChangedError`; a changed key for our
   * own user is `InvalidDeviceListError`. Returns the identity key the list verified under.
   */
  private async checkPresented(userId: string, userIdentityKey: string, deviceList: SignedDeviceList): Promise<string> {
    const core = this.core
    const self = core.self()
    const isSelf = userId === self.userId
    const existing = await this.peer(userId)
    const pinned = isSelf ? self.user.publicKey : existing?.identityKey
    if (pinned !== undefined && userIdentityKey !== pinned) {
      if (isSelf) throw new InvalidDeviceListError('the server presented a different identity key for our own user', { userId })
      // Only a self-consistent new identity is worth asking the user about.
      verifyDeviceList(deviceList, userIdentityKey)
      if (existing && existing.pending?.identityKey !== userIdentityKey) {
        await core.store.set(K.peer(userId), json({ ...existing, pending: { identityKey: userIdentityKey, deviceList, seenAt: core.now() } } satisfies PeerRecord))
      }
      throw new IdentityChangedError(`the identity key of "${userId}" changed; compare safety numbers, then acceptIdentity()`, { userId })
    }
    const identityKey = pinned ?? userIdentityKey // trust on first use
    const previous = isSelf ? newer(existing?.deviceList, self.deviceList) : existing?.deviceList
    // The list we already verified under this same pinned key (or signed ourselves) needs no
    // second (pure-JS, ~2 ms) signature check; anything else is verified in full.
    if (!(previous && sameList(deviceList, previous))) verifyDeviceList(deviceList, identityKey, previous)
    return identityKey
  }

  /** `fetch(userId, { initiate: false })`, shared by concurrent callers. */
  private lookup(userId: string): Promise<void> {
    let p = this.lookups.get(userId)
    if (!p) {
      p = this.fetch(userId, { initiate: false }).finally(() => this.lookups.delete(userId))
      this.lookups.set(userId, p)
    }
    return p
  }

  /**
   * Fetches and verifies a user's keys; pins on first sight. With `initiate`, starts a
   * session with every listed device that has none (from its one-time bundle).
   */
  async fetch(userId: string, opts: { initiate: boolean }): Promise<void> {
    const core = this.core
    const marks = this.staleMarks.get(userId)
    const set = await core.conn.request('keys.fetch', { userId })
    const self = core.self()
    const isSelf = userId === self.userId
    if (set.userId !== userId || set.deviceList.userId !== userId) {
      throw new InvalidDeviceListError(`keys.fetch for "${userId}" answered for another user`, { userId })
    }
    const identityKey = await this.checkPresented(userId, set.userIdentityKey, set.deviceList)
    const changes: Record<string, JsonValue | null> = {}
    const provider = await core.provider()
    for (const bundle of set.bundles) {
      const entry = set.deviceList.devices.find((d) => d.deviceId === bundle.deviceId)
      if (!entry || entry.signingKey !== bundle.signingKey || entry.identityKey !== bundle.identityKey) {
        throw new InvalidDeviceListError(`bundle of device "${bundle.deviceId}" does not match the signed device list`, { userId })
      }
      // initiateSession checks the bundle's signatures itself (before any DH); every other
      // bundle is checked here, on the native provider when there is one.
      const initiated = opts.initiate && !(isSelf && bundle.deviceId === self.deviceId) && (await this.maybeInitiate(userId, bundle, changes, provider))
      if (!initiated) {
        if (provider) await verifyBundleWith(bundle, provider)
        else verifyBundle(bundle)
      }
    }
    changes[K.peer(userId)] = json({ userId, identityKey, deviceList: set.deviceList } satisfies PeerRecord)
    await core.store.saveChanges(changes)
    if (this.staleMarks.get(userId) === marks) this.stale.delete(userId)
  }

  /** Starts a session from `bundle` unless one with the same device keys exists; true when started. */
  private async maybeInitiate(userId: string, bundle: DeviceBundle, changes: Record<string, JsonValue | null>, provider: CryptoProvider | undefined): Promise<boolean> {
    const addr = { userId, deviceId: bundle.deviceId }
    const rec = await this.core.store.get<JsonValue>(K.session(addr)) as SessionRecord | null
    // Same device id with new keys (reinstall): the old session is useless.
    if (rec && !rec.renew && rec.states.length > 0 && safePeerIdentity(rec.states[0]!) === bundle.identityKey) return false
    const state = await initiateSession({ ours: this.core.self().device, theirs: bundle, ...(provider ? { provider } : {}) })
    // A renewal keeps the states of the same device keys: they still decrypt what is in flight.
    const kept = rec?.renew ? rec.states.filter((s) => safePeerIdentity(s) === bundle.identityKey) : []
    changes[K.session(addr)] = json({ states: [state, ...kept].slice(0, MAX_PREVIOUS_SESSIONS + 1) } satisfies SessionRecord)
    return true
  }
}

function safePeerIdentity(state: SessionRecord['states'][number] | undefined): string | undefined {
  try {
    return state === undefined ? undefined : sessionPeerIdentity(state)
  } catch (e) {
    if (ParleyError.isInstance(e) || e instanceof TypeError) return undefined
    throw e
  }
}

/** The same signed list, byte for byte (so already verified under the same key). */
function sameList(a: SignedDeviceList, b: SignedDeviceList): boolean {
  return a.signature === b.signature && JSON.stringify(a) === JSON.stringify(b)
}

function newer(a?: SignedDeviceList, b?: SignedDeviceList): SignedDeviceList | undefined {
  if (!a) return b
  if (!b) return a
  return a.version >= b.version ? a : b
}
