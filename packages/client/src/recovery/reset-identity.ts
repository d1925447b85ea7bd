/**
 * Account reset without a backup, the client's half (issue 17, docs/recovery.md): "I lost
 * every device". On a fresh device, `createParleyClient` fails with `IdentityChangedError`
 * naming the user's own id: the server holds an identity this device has no keys for. When
 * the user has no device left to link from and no backup, the integrator's server
 * re-authenticates them its own way and calls `parley.resetIdentity(userId, { reason })`, which
 * returns a one-time registration `ticket`; the app hands it to the re-authenticated user's
 * device out of band and calls {@link resetIdentity} with the options it gives
 * `createParleyClient` plus that `ticket` (decision 0024: without it, a lost device that still
 * holds a session token could register a key of its own first).
 *
 * It empties the given key store (any identity, sessions, pins and message log in it belong to
 * the identity being abandoned) and starts a client, which registers a brand-new identity and
 * device. Peers see `IdentityChangedError` for this user and must accept the new identity
 * (compare safety numbers). Old end-to-end encrypted history is gone for good; server-side
 * conversations' history is still readable through `history()`.
 */
import { IdentityChangedError, MAX_RESET_TICKET_LENGTH } from '@parley/protocol'
import { createParleyClient, type ParleyClient } from '../create-client.js'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import type { ParleyClientOptions } from '../options.js'
import { K } from '../store-layout.js'

/** Options of {@link resetIdentity}: a client's options plus the reset's ticket. */
export type ResetIdentityOptions = ParleyClientOptions & {
  /** The one-time registration ticket `parley.resetIdentity` returned on your server (43 characters). */
  ticket: string
}

/**
 * Starts over with a new identity after the server reset it. Same options as
 * `createParleyClient` (give a new `deviceId`, or none: the reset revoked the old ones), plus
 * the reset's one-time `ticket`.
 * @throws {TypeError} bad options or no `ticket` (nothing is deleted).
 * @throws {RangeError} a `ticket` longer than `MAX_RESET_TICKET_LENGTH` (nothing is deleted).
 * @throws {ResetTicketError} the server refused the ticket (wrong or already used, expired, burned: `details.reason`); nothing was registered.
 * @throws {IdentityChangedError} the server has not reset this user's identity (the key store is left empty: nothing in it could be used anyway).
 * @throws {DeviceRevokedError} `deviceId` names a device the reset revoked.
 * @example
 * // your server, after re-authenticating the user: const { ticket } = await parley.resetIdentity('alice', { reason: 'lost every device; re-verified by e-mail' })
 * const client = await resetIdentity({ url, token, keyStore: indexedDbKeyStore(), ticket })
 */
export async function resetIdentity(options: ResetIdentityOptions): Promise<ParleyClient> {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const { ticket, ...clientOptions } = options
  if (typeof ticket !== 'string' || ticket.length === 0) throw new TypeError('"ticket" expected the non-empty string parley.resetIdentity returned on the server')
  if (ticket.length > MAX_RESET_TICKET_LENGTH) throw new RangeError(`"ticket" expected at most ${MAX_RESET_TICKET_LENGTH} characters, got ${ticket.length}`)
  const ks = clientOptions.keyStore as Partial<KeyStore> | undefined
  if (!ks || typeof ks.keys !== 'function' || typeof ks.saveChanges !== 'function') throw new TypeError('"keyStore" expected a KeyStore')
  const keys = await ks.keys('')
  // One write: the abandoned identity's records go, the ticket for the registration comes (it is deleted once used).
  await ks.saveChanges({ ...Object.fromEntries(keys.map((k): [string, JsonValue | null] => [k, null])), [K.resetTicket]: ticket })
  try {
    return await createParleyClient(clientOptions)
  } catch (e) {
    if (IdentityChangedError.isInstance(e)) {
      throw new IdentityChangedError('the server still holds this user\'s old identity: reset it on the server first (parley.resetIdentity)', e.details)
    }
    throw e
  }
}
