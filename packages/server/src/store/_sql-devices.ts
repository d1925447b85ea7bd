/**
 * The SQL store's users, devices and prekeys: register (pinning the identity key, or the new one
 * after a reset with its ticket), device lists, prekey uploads and counts, and claiming bundles
 * with `DELETE … WHERE … IN (SELECT … FOR UPDATE SKIP LOCKED)`, so each one-time prekey is
 * handed out once, even across server processes.
 */
import { IdentityChangedError, InvalidDeviceListError, NotFoundError, type DeviceBundle, type SignedDeviceList } from '@parley/protocol'
import { abandonedIdentityError } from './_rules.js'
import { json, num, toDevice } from './_sql-rows.js'
import type { SqlDriver, SqlExecutor } from './sql-driver.js'
import { consumeTicket } from './_sql-reset-tickets.js'
import { isAbandoned, RESET_IDENTITY } from './_sql-recovery.js'
import type { ClaimedBundles, ParleyStore, PreKeyCounts, PreKeyUpload } from './store.js'

type DeviceMethods = Pick<ParleyStore, 'getUser' | 'registerDevice' | 'getDevice' | 'listDevices' | 'setDeviceList' | 'publishPreKeys' | 'countPreKeys' | 'claimBundles'>

async function counts(q: SqlExecutor, userId: string, deviceId: string): Promise<PreKeyCounts> {
  const rows = await q.query<{ kind: string; n: unknown }>(
    'SELECT kind, count(*) AS n FROM one_time_prekeys WHERE user_id = $1 AND device_id = $2 GROUP BY kind',
    [userId, deviceId],
  )
  const n = (k: string) => num(rows.find((r) => r.kind === k)?.n ?? 0)
  return { oneTimePreKeys: n('x25519'), kemOneTimePreKeys: n('kem') }
}

async function insertPreKeys(q: SqlExecutor, userId: string, deviceId: string, keys: PreKeyUpload): Promise<void> {
  const rows = [
    ...(keys.oneTimePreKeys ?? []).map((k) => ({ k: 'x25519', i: k.id, p: k.publicKey, s: null })),
    ...(keys.kemOneTimePreKeys ?? []).map((k) => ({ k: 'kem', i: k.id, p: k.publicKey, s: k.signature })),
  ]
  if (!rows.length) return
  await q.query(
    `INSERT INTO one_time_prekeys (user_id, device_id, kind, key_id, public_key, signature)
     SELECT $1, $2, x.k, x.i, x.p, x.s FROM jsonb_to_recordset($3::jsonb) AS x(k text, i bigint, p text, s text)
     ON CONFLICT (user_id, device_id, kind, key_id) DO UPDATE SET public_key = EXCLUDED.public_key, signature = EXCLUDED.signature`,
    [userId, deviceId, JSON.stringify(rows)],
  )
}

/** Marks each device of the user active iff the stored list names it with the same keys. */
async function markActive(q: SqlExecutor, userId: string): Promise<void> {
  await q.query(
    `UPDATE devices d SET active = EXISTS (
       SELECT 1 FROM users u, jsonb_array_elements(u.device_list -> 'devices') e
        WHERE u.user_id = d.user_id AND e ->> 'deviceId' = d.device_id
          AND e ->> 'signingKey' = d.signing_key AND e ->> 'identityKey' = d.identity_key)
     WHERE d.user_id = $1`,
    [userId],
  )
}

export function sqlDeviceMethods(db: SqlDriver): DeviceMethods {
  return {
    async getUser(userId) {
      const [r] = await db.query('SELECT user_id, identity_key, device_list FROM users WHERE user_id = $1', [userId])
      return r && r.identity_key !== RESET_IDENTITY ? { userId: r.user_id as string, identityKey: r.identity_key as string, deviceList: json<SignedDeviceList>(r.device_list) } : null
    },
    async registerDevice(reg) {
      await db.transaction(async (tx) => {
        await tx.query(
          'INSERT INTO users (user_id, identity_key, device_list, device_list_version, created_at) VALUES ($1, $2, $3::jsonb, $4, $5) ON CONFLICT (user_id) DO NOTHING',
          [reg.userId, reg.userIdentityKey, JSON.stringify(reg.deviceList), reg.deviceList.version, reg.now],
        )
        const [u] = await tx.query('SELECT identity_key, device_list_version FROM users WHERE user_id = $1 FOR UPDATE', [reg.userId])
        if (u!.identity_key === RESET_IDENTITY) {
          // The identity was reset (docs/recovery.md): the first registration after it pins the
          // new one — never a key the reset abandoned (a lost device still holds its secret).
          if (await isAbandoned(tx, reg.userId, reg.userIdentityKey)) throw abandonedIdentityError(reg.userId)
          await consumeTicket(tx, reg.userId, reg.resetTicketHash, reg.now)
          await tx.query('UPDATE users SET identity_key = $2, device_list = $3::jsonb, device_list_version = $4 WHERE user_id = $1', [reg.userId, reg.userIdentityKey, JSON.stringify(reg.deviceList), reg.deviceList.version])
          u!.identity_key = reg.userIdentityKey
          u!.device_list_version = reg.deviceList.version
        }
        if (u!.identity_key !== reg.userIdentityKey) throw new IdentityChangedError('a different user identity key is pinned for this user', { userId: reg.userId })
        const stored = num(u!.device_list_version)
        if (reg.deviceList.version < stored) throw new InvalidDeviceListError('device list version is older than the stored one', { userId: reg.userId })
        if (reg.deviceList.version > stored) {
          await tx.query('UPDATE users SET device_list = $2::jsonb, device_list_version = $3 WHERE user_id = $1', [reg.userId, JSON.stringify(reg.deviceList), reg.deviceList.version])
        }
        // The device id came back with new keys (decision 0022): its one-time prekeys are the previous keys' (signed by them, their secrets on the old install).
        await tx.query(
          `DELETE FROM one_time_prekeys p USING devices d WHERE p.user_id = $1 AND p.device_id = $2 AND d.user_id = $1 AND d.device_id = $2
             AND (d.signing_key <> $3 OR d.identity_key <> $4)`,
          [reg.userId, reg.deviceId, reg.signingKey, reg.identityKey],
        )
        await tx.query(
          `INSERT INTO devices (user_id, device_id, signing_key, identity_key, signed_prekey, kem_last_resort, registered_at, notice_cursor)
           VALUES ($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, (SELECT COALESCE(max(id), 0) FROM notices WHERE user_id = $1))
           ON CONFLICT (user_id, device_id) DO UPDATE SET signing_key = EXCLUDED.signing_key, identity_key = EXCLUDED.identity_key,
             signed_prekey = EXCLUDED.signed_prekey, kem_last_resort = EXCLUDED.kem_last_resort`,
          [reg.userId, reg.deviceId, reg.signingKey, reg.identityKey, JSON.stringify(reg.signedPreKey), JSON.stringify(reg.kemLastResortPreKey), reg.now],
        )
        await insertPreKeys(tx, reg.userId, reg.deviceId, reg)
        await markActive(tx, reg.userId)
      })
    },
    async getDevice(userId, deviceId) {
      const [r] = await db.query('SELECT * FROM devices WHERE user_id = $1 AND device_id = $2', [userId, deviceId])
      return r ? toDevice(r) : null
    },
    async listDevices(userId) {
      return (await db.query('SELECT * FROM devices WHERE user_id = $1 AND active ORDER BY device_id', [userId])).map(toDevice)
    },
    async setDeviceList(userId, list) {
      await db.transaction(async (tx) => {
        const [u] = await tx.query('SELECT device_list_version FROM users WHERE user_id = $1 FOR UPDATE', [userId])
        if (!u) throw new NotFoundError('unknown user', { resource: 'user', id: userId })
        if (list.version <= num(u.device_list_version)) throw new InvalidDeviceListError('device list version must increase', { userId })
        await tx.query('UPDATE users SET device_list = $2::jsonb, device_list_version = $3 WHERE user_id = $1', [userId, JSON.stringify(list), list.version])
        await markActive(tx, userId)
      })
    },
    async publishPreKeys(userId, deviceId, keys) {
      return db.transaction(async (tx) => {
        const [d] = await tx.query('SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2 FOR UPDATE', [userId, deviceId])
        if (!d) throw new NotFoundError('device not registered', { resource: 'device', id: deviceId })
        if (keys.signedPreKey) await tx.query('UPDATE devices SET signed_prekey = $3::jsonb WHERE user_id = $1 AND device_id = $2', [userId, deviceId, JSON.stringify(keys.signedPreKey)])
        if (keys.kemLastResortPreKey) await tx.query('UPDATE devices SET kem_last_resort = $3::jsonb WHERE user_id = $1 AND device_id = $2', [userId, deviceId, JSON.stringify(keys.kemLastResortPreKey)])
        await insertPreKeys(tx, userId, deviceId, keys)
        return counts(tx, userId, deviceId)
      })
    },
    async countPreKeys(userId, deviceId) {
      const [d] = await db.query('SELECT 1 FROM devices WHERE user_id = $1 AND device_id = $2', [userId, deviceId])
      if (!d) throw new NotFoundError('device not registered', { resource: 'device', id: deviceId })
      return counts(db, userId, deviceId)
    },
    async claimBundles(userId, excludeDeviceId): Promise<ClaimedBundles | null> {
      return db.transaction(async (tx) => {
        const [u] = await tx.query('SELECT identity_key, device_list FROM users WHERE user_id = $1', [userId])
        if (!u || u.identity_key === RESET_IDENTITY) return null
        const devs = await tx.query('SELECT * FROM devices WHERE user_id = $1 AND active ORDER BY device_id', [userId])
        const bundles: DeviceBundle[] = []
        const remaining: ClaimedBundles['remaining'] = []
        for (const d of devs) {
          if (d.device_id === excludeDeviceId) continue
          const claim = (kind: string) => tx.query(
            `DELETE FROM one_time_prekeys WHERE (user_id, device_id, kind, key_id) IN (
               SELECT user_id, device_id, kind, key_id FROM one_time_prekeys
                WHERE user_id = $1 AND device_id = $2 AND kind = $3 ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED)
             RETURNING key_id, public_key, signature`,
            [userId, d.device_id, kind],
          )
          const [ot] = await claim('x25519')
          const [kem] = await claim('kem')
          bundles.push({
            deviceId: d.device_id as string, signingKey: d.signing_key as string, identityKey: d.identity_key as string,
            signedPreKey: json(d.signed_prekey),
            kemPreKey: kem ? { id: num(kem.key_id), publicKey: kem.public_key as string, signature: kem.signature as string } : json(d.kem_last_resort),
            kemPreKeyIsLastResort: !kem,
            ...(ot ? { oneTimePreKey: { id: num(ot.key_id), publicKey: ot.public_key as string } } : {}),
          })
          remaining.push({ deviceId: d.device_id as string, ...(await counts(tx, userId, d.device_id as string)) })
        }
        return { userId, userIdentityKey: u.identity_key as string, deviceList: json<SignedDeviceList>(u.device_list), bundles, remaining }
      })
    },
  }
}
