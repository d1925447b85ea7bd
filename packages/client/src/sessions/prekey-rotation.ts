/**
 * Signed-prekey lifecycle: the signed X25519 prekey and the last-resort ML-KEM prekey are
 * replaced on a schedule (`preKeyRotation.intervalMs`), replaced secrets are deleted after a
 * grace period (`preKeyRotation.graceMs`), and the ids of accepted initial messages are kept
 * per signed prekey for exactly as long as that prekey's secret exists. So a held initial
 * message replayed later is refused as `replayed` while it could still be decrypted, and fails
 * with `missing_session` (the secret is gone) afterwards — no count-based window to outlast.
 */
import { generatePreKeys, isKemLastResortId, type PreKeySecrets } from '@parley/crypto'
import { DEFAULT_PREKEY_GRACE_MS, DEFAULT_PREKEY_ROTATION_MS, KEM_LAST_RESORT_ID_BASE, MAX_RETIRED_SIGNED_PREKEYS, ROTATE_AFTER_INITIAL_MESSAGES } from '../constants.js'
import type { ClientCore } from '../core.js'
import type { JsonValue } from '../key-store/key-store.js'
import { K, json, type RetiredPreKeys, type SeenInitialRecord, type SelfRecord } from '../store-layout.js'

/** When prekeys rotate and how long replaced secrets are kept, in ms. */
export interface PreKeyRotationOptions {
  /** Age at which the signed and last-resort KEM prekeys are replaced. Default {@link DEFAULT_PREKEY_ROTATION_MS}. */
  intervalMs?: number
  /** How long a replaced prekey's secret is kept. Default {@link DEFAULT_PREKEY_GRACE_MS}. */
  graceMs?: number
}

/**
 * Checks `preKeyRotation` options.
 * @throws {RangeError} when a value is not a positive finite number of ms.
 */
export function rotationOptions(o: PreKeyRotationOptions | undefined): Required<PreKeyRotationOptions> {
  const out = { intervalMs: o?.intervalMs ?? DEFAULT_PREKEY_ROTATION_MS, graceMs: o?.graceMs ?? DEFAULT_PREKEY_GRACE_MS }
  for (const [k, v] of Object.entries(out)) {
    if (!(Number.isFinite(v) && v > 0)) throw new RangeError(`"preKeyRotation.${k}" expected a positive number of ms`)
  }
  return out
}

/** The seen-initial record, reading layout 1's plain list as the current signed prekey's. */
export function readSeen(value: JsonValue | null | undefined, self: SelfRecord): SeenInitialRecord {
  if (Array.isArray(value)) return { bySignedPreKey: { [self.signedPreKeyId]: value as string[] } }
  if (value && typeof value === 'object' && 'bySignedPreKey' in value) return value as unknown as SeenInitialRecord
  return { bySignedPreKey: {} }
}

/** Every id kept, across signed prekeys. */
export function seenIds(r: SeenInitialRecord): string[] {
  return Object.values(r.bySignedPreKey).flat()
}

/** A new record with `id` added under `signedPreKeyId` (records are never mutated). */
export function withSeen(r: SeenInitialRecord, signedPreKeyId: number, id: string): SeenInitialRecord {
  return { bySignedPreKey: { ...r.bySignedPreKey, [signedPreKeyId]: [...(r.bySignedPreKey[signedPreKeyId] ?? []), id] } }
}

const retiredOf = (self: SelfRecord): RetiredPreKeys => ({ signed: { ...self.retiredPreKeys?.signed }, kem: { ...self.retiredPreKeys?.kem } })

/** The retired set with the current signed and last-resort KEM prekeys marked replaced at `now` (ids 0 / the base: none yet). */
export function retireCurrent(self: SelfRecord, now: number): RetiredPreKeys {
  const retired = retiredOf(self)
  if (self.signedPreKeyId > 0) retired.signed[self.signedPreKeyId] ??= now
  if (self.kemLastResortId > KEM_LAST_RESORT_ID_BASE) retired.kem[self.kemLastResortId] ??= now
  return retired
}

/**
 * Rotates when due and deletes replaced secrets past their grace period; uploads the new
 * signed and last-resort prekeys (`keys.publish`) after their secrets are stored. Due: the
 * current pair is older than `intervalMs`, was never confirmed by the server, or has accepted
 * {@link ROTATE_AFTER_INITIAL_MESSAGES} initial messages. Call when connected and caught up
 * (deliveries queued while away are decrypted before anything they need is deleted). Takes
 * the crypto lock itself.
 * Returns what it did, for tests and logs.
 */
export async function maintainPreKeys(core: ClientCore, options: Required<PreKeyRotationOptions>): Promise<{ rotated: boolean; deleted: number }> {
  const work = await core.lock.run(async () => {
    const now = core.now()
    let self = core.self()
    if (!self.registered) return { publish: null, deleted: 0 }
    let preKeys: PreKeySecrets | null = null
    const loadPreKeys = async () => (preKeys ??= (await core.store.get<JsonValue>(K.preKeys)) as unknown as PreKeySecrets)
    let seen = readSeen(await core.store.get<JsonValue>(K.seenInitial), self)
    const changes: Record<string, JsonValue | null> = {}
    const seenOnCurrent = seen.bySignedPreKey[self.signedPreKeyId]?.length ?? 0
    const due = self.signedPreKeyAt === undefined || now - self.signedPreKeyAt >= options.intervalMs
      || self.publishedSignedPreKeyId !== self.signedPreKeyId || seenOnCurrent >= ROTATE_AFTER_INITIAL_MESSAGES
    let publish: ReturnType<typeof generatePreKeys>['public'] | null = null
    if (due) {
      const retired = retireCurrent(self, now)
      // Secrets from before rotation existed (every re-registration made a new pair): replaced now.
      const held = await loadPreKeys()
      for (const id of Object.keys(held.signedPreKeys)) if (Number(id) !== self.signedPreKeyId) retired.signed[id] ??= now
      for (const id of Object.keys(held.kemPreKeys)) if (isKemLastResortId(Number(id)) && Number(id) !== self.kemLastResortId) retired.kem[id] ??= now
      if (Array.isArray(await core.store.get<JsonValue>(K.seenInitial))) changes[K.seenInitial] = json(seen)
      const signedPreKeyId = self.signedPreKeyId + 1
      const kemLastResortId = self.kemLastResortId + 1
      const batch = generatePreKeys(self.device, { signedPreKeyId, kemLastResortId, oneTimeStartId: 0, oneTimeCount: 0, kemOneTimeStartId: 0, kemOneTimeCount: 0 })
      preKeys = {
        signedPreKeys: { ...held.signedPreKeys, ...batch.secrets.signedPreKeys },
        oneTimePreKeys: held.oneTimePreKeys,
        kemPreKeys: { ...held.kemPreKeys, ...batch.secrets.kemPreKeys },
      }
      changes[K.preKeys] = json(preKeys)
      self = { ...self, signedPreKeyId, kemLastResortId, signedPreKeyAt: now, retiredPreKeys: retired }
      publish = batch.public
    }
    const retired = retiredOf(self)
    const expiredSigned = Object.keys(retired.signed).filter((id) => retired.signed[id]! + options.graceMs <= now)
    const expiredKem = Object.keys(retired.kem).filter((id) => retired.kem[id]! + options.graceMs <= now)
    // A flood that rotates early may not pile up replaced prekeys (and their replay ids):
    // beyond MAX_RETIRED_SIGNED_PREKEYS, the oldest ones end their grace now.
    const byAge = (table: Record<string, number>, expired: string[]) =>
      Object.keys(table).filter((id) => !expired.includes(id)).sort((a, b) => table[a]! - table[b]! || Number(a) - Number(b))
    const liveSigned = byAge(retired.signed, expiredSigned)
    expiredSigned.push(...liveSigned.slice(0, Math.max(0, liveSigned.length - MAX_RETIRED_SIGNED_PREKEYS)))
    const liveKem = byAge(retired.kem, expiredKem)
    expiredKem.push(...liveKem.slice(0, Math.max(0, liveKem.length - MAX_RETIRED_SIGNED_PREKEYS)))
    if (expiredSigned.length + expiredKem.length > 0) {
      const held = await loadPreKeys()
      const signedPreKeys = { ...held.signedPreKeys }
      const kemPreKeys = { ...held.kemPreKeys }
      const bySignedPreKey = { ...seen.bySignedPreKey }
      for (const id of expiredSigned) {
        delete signedPreKeys[Number(id)]
        delete bySignedPreKey[id] // its replays now fail for want of the secret
        delete retired.signed[id]
      }
      for (const id of expiredKem) {
        delete kemPreKeys[Number(id)]
        delete retired.kem[id]
      }
      preKeys = { ...held, signedPreKeys, kemPreKeys }
      seen = { bySignedPreKey }
      changes[K.preKeys] = json(preKeys)
      changes[K.seenInitial] = json(seen)
      self = { ...self, retiredPreKeys: retired }
    }
    if (Object.keys(changes).length > 0) {
      changes[K.self] = json(self)
      await core.store.saveChanges(changes)
      core.setSelf(self)
    }
    return { publish, deleted: expiredSigned.length + expiredKem.length }
  })
  const publish = work.publish
  if (publish) {
    await core.conn.request('keys.publish', { signedPreKey: publish.signedPreKey!, kemLastResortPreKey: publish.kemLastResortPreKey! })
    await core.lock.run(async () => {
      const self = core.self()
      if (self.signedPreKeyId !== publish.signedPreKey!.id) return
      const next = { ...self, publishedSignedPreKeyId: self.signedPreKeyId }
      await core.store.set(K.self, json(next))
      core.setSelf(next)
    })
  }
  return { rotated: publish !== null, deleted: work.deleted }
}
