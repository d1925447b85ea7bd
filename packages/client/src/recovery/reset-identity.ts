/**
 * Account reset without a backup, the client's half (issue 17, docs/recovery.md): "I lost
 * every device". On a fresh device, `createParleyClient` fails with `IdentityChangedError`
 * naming the user's own id: the server holds an identity this device has no keys for. When
 * the user has no device left to link from and no backup, the integrator's server
 * re-authenticates them its own way and calls `parley.resetIdentity(userId, { reason })`;
 * then the app calls {@link resetIdentity} with the same options it gives `createParleyClient`.
 *
 * It empties the given key store (any identity, sessions, pins and message log in it belong to
 * the identity being abandoned) and starts a client, which registers a brand-new identity and
 * device. Peers see `IdentityChangedError` for this user and must accept the new identity
 * (compare safety numbers). Old end-to-end encrypted history is gone for good; server-side
 * conversations' history is still readable through `history()`.
 */
import { IdentityChangedError } from '@parley/protocol'
import { createParleyClient, type ParleyClient } from '../create-client.js'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import type { ParleyClientOptions } from '../options.js'

/**
 * Starts over with a new identity after the server reset it. Same options as
 * `createParleyClient` (give a new `deviceId`, or none: the reset revoked the old ones).
 * @throws {TypeError} bad options (nothing is deleted).
 * @throws {IdentityChangedError} the server has not reset this user's identity (the key store is left empty: nothing in it could be used anyway).
 * @throws {DeviceRevokedError} `deviceId` names a device the reset revoked.
 * @example
 * // after your server ran: await parley.resetIdentity('alice', { reason: 'lost every device; re-verified by e-mail' })
 * const client = await resetIdentity({ url, token, keyStore: indexedDbKeyStore() })
 */
export async function resetIdentity(options: ParleyClientOptions): Promise<ParleyClient> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const ks = options.keyStore as Partial<KeyStore> | undefined
  if (!ks || typeof ks.keys !== 'function' || typeof ks.saveChanges !== 'function') throw new TypeError('"keyStore" expected a KeyStore')
  const keys = await ks.keys('')
  if (keys.length) await ks.saveChanges(Object.fromEntries(keys.map((k): [string, JsonValue | null] => [k, null])))
  try {
    return await createParleyClient(options)
  } catch (e) {
    if (IdentityChangedError.isInstance(e)) {
      throw new IdentityChangedError('the server still holds this user\'s old identity: reset it on the server first (parley.resetIdentity)', e.details)
    }
    throw e
  }
}
