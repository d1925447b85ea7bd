/**
 * Sender keys, the receiving half (docs/groups.md, decision 0014). A sender-key delivery is
 * read only after the inbox has checked its sender against the verified roster at that point
 * of the inbox (never the server's word). Nothing unauthenticated costs a network round trip:
 * the chain is looked up by id and the signature verified before the sender's device list is
 * checked (and then with `devicelist.fetch`, which claims no prekey). Its distribution envelope, when present, is opened
 * with the pairwise session of the sending device (so the chain is that device's) and installed
 * unless this device already holds that chain; the one ciphertext is then verified (signature
 * first) and decrypted on the chain named by its `keyId`. Failures are typed; the chain is
 * written only on success (a distribution that opened is kept: its pairwise message is spent).
 */
import * as v from 'valibot'
import {
  BadMacError, DeviceKeysChangedError, InvalidDeviceListError, InvalidFrameError, MissingSessionError, SenderKeyDistributionSchema, fromBase64, type Delivery,
} from '@parley/protocol'
import { senderKeyAd, senderKeyDecrypt, senderKeyDiscardNext, senderKeyFromDistribution, senderKeyMessageId } from '@parley/crypto'
import type { ClientCore } from '../core.js'
import type { Directory } from '../sessions/directory.js'
import type { Sessions } from '../sessions/sessions.js'
import { json } from '../store-layout.js'
import { MAX_SENDER_KEY_CHAINS_PER_DEVICE, SK, readStaged, type Changes, type PeerSenderKeyRecord } from './sender-key-store.js'

/** Failures of the sender-key chain itself: they say nothing about the pairwise session, so they start no session reset. */
const chainFailures = new WeakSet<object>()
/** True when `e` came from a sender-key chain (not from the pairwise session). */
export const isSenderKeyChainFailure = (e: unknown) => typeof e === 'object' && e !== null && chainFailures.has(e)

function chainFailure<T>(fn: () => T): T {
  try {
    return fn()
  } catch (e) {
    throw mark(e)
  }
}
function mark<E>(e: E): E {
  if (typeof e === 'object' && e !== null) chainFailures.add(e)
  return e
}

/**
 * Opens a distribution envelope and installs its chain (unless held). `deleted`: the message that
 * carried it was deleted for everyone; the distribution is the chain at that message, so the chain
 * is installed one step past it with its key dropped (re-delivered, it never opens here).
 */
async function install(core: ClientCore, sessions: Sessions, directory: Directory, d: Delivery, changes: Changes, deleted = false): Promise<void> {
  const bytes = await sessions.decrypt(d.sender, d.conversationId, d.envelope!, changes)
  // The pairwise session just checked the sender's key against its signed device list (cached there).
  const identityKey = (await directory.deviceEntry(d.sender))?.identityKey
  let parsed: unknown
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes))
  } catch {
    throw new InvalidFrameError('a sender-key distribution that is not JSON')
  }
  const r = v.safeParse(SenderKeyDistributionSchema, parsed)
  if (!r.success || r.output.conversationId !== d.conversationId) throw new InvalidFrameError('a sender-key distribution for another group, or malformed')
  const key = SK.peer(d.conversationId, d.sender)
  const rec = await readStaged<PeerSenderKeyRecord>(core.store, key, changes)
  // Chains installed under other keys of this device id were the previous install's (decision 0022): never read again.
  const held = (rec?.chains ?? []).filter((c) => !identityKey || !rec?.deviceKeys?.[c.keyId] || rec.deviceKeys[c.keyId] === identityKey)
  // A chain already held keeps its position: a distribution never moves a chain back (replay protection).
  if (held.some((c) => c.keyId === r.output.keyId)) return
  const { type: _t, conversationId: _c, ...dist } = r.output
  const installed = senderKeyFromDistribution(dist)
  const chains = [deleted ? senderKeyDiscardNext(installed) : installed, ...held].slice(0, MAX_SENDER_KEY_CHAINS_PER_DEVICE)
  changes[key] = json({ chains, deviceKeys: keysOf(chains, { ...rec?.deviceKeys, ...(identityKey ? { [dist.keyId]: identityKey } : {}) }) } satisfies PeerSenderKeyRecord)
}

/**
 * A group's sender-key message deleted for everyone before it reached this device keeps this
 * device's distribution envelope (the server drops only the content ciphertext; docs/messages.md):
 * its chain is installed past the deleted message (whose key is dropped), so the sender's later
 * messages read and the deleted one never does. Call after the member check; the
 * envelope must open as a distribution for this group from the sending device, or nothing is installed.
 * @throws {InvalidFrameError} not an E2EE group delivery from another device, or not a distribution.
 * The pairwise errors of the envelope as `Sessions.decrypt`.
 */
export async function installDeletedDistribution(core: ClientCore, sessions: Sessions, directory: Directory, kind: 'direct' | 'group', d: Delivery, changes: Changes): Promise<void> {
  const self = core.self()
  if (kind !== 'group' || d.mode !== 'e2ee' || !d.envelope || d.senderKey || (d.sender.userId === self.userId && d.sender.deviceId === self.deviceId)) {
    throw new InvalidFrameError('a deleted delivery may keep only a sender-key distribution of an end-to-end encrypted group')
  }
  await install(core, sessions, directory, d, changes, true)
}

/** `deviceKeys` restricted to the chains kept. */
function keysOf(chains: readonly { keyId: number }[], all: Record<string, string>): Record<string, string> {
  return Object.fromEntries(chains.flatMap((c) => (all[c.keyId] !== undefined ? [[String(c.keyId), all[c.keyId]!]] : [])))
}

/**
 * The plaintext of a sender-key delivery; stages the advanced chain in `changes`.
 * @throws {MissingSessionError} no chain with that id from this device. @throws {InvalidSignatureError}
 * the signature fails (tampered, another chain's key, relabelled sender or group).
 * @throws {DuplicateMessageError} a replay. @throws {TooFarAheadError} beyond `SENDER_KEY_MAX_SKIP`.
 * @throws {BadMacError} malformed. @throws {InvalidDeviceListError} the device is not in its user's signed
 * device list. @throws {DeviceKeysChangedError} the chain came from this device id under keys its list no longer names. The pairwise errors of the distribution envelope as `Sessions.decrypt`.
 */
export async function openSenderKeyMessage(core: ClientCore, sessions: Sessions, directory: Directory, d: Delivery, changes: Changes): Promise<Uint8Array> {
  if (!d.senderKey) throw new InvalidFrameError('not a sender-key delivery')
  if (d.envelope) await install(core, sessions, directory, d, changes)
  const message = fromBase64(d.senderKey.ciphertext)
  if (senderKeyMessageId(message) !== d.senderKey.keyId) throw mark(new BadMacError('sender-key message names another chain than its frame'))
  const key = SK.peer(d.conversationId, d.sender)
  const rec = await readStaged<PeerSenderKeyRecord>(core.store, key, changes)
  const chains = rec?.chains ?? []
  const at = chains.findIndex((c) => c.keyId === d.senderKey!.keyId)
  if (at < 0) throw mark(new MissingSessionError(`no sender key of device "${d.sender.deviceId}" with this id`, { deviceId: d.sender.deviceId }))
  const out = chainFailure(() => senderKeyDecrypt(chains[at]!, message, senderKeyAd(d.conversationId, d.sender)))
  // Only now (a held chain, a valid signature) may the frame cost a network round trip: the member's
  // device must still be in its signed device list (a revoked device's chain is not used). The list
  // alone is fetched (`devicelist.fetch`): no prekey is claimed for a message.
  const entry = d.envelope ? await directory.deviceEntry(d.sender) : await directory.listedDevice(d.sender)
  if (!entry) {
    throw new InvalidDeviceListError(`device "${d.sender.deviceId}" is not in the signed device list of "${d.sender.userId}"`, { userId: d.sender.userId })
  }
  // The chain was installed from this device id under other keys: the device came back as a new install (decision 0022).
  const installedUnder = rec?.deviceKeys?.[d.senderKey.keyId]
  if (installedUnder !== undefined && installedUnder !== entry.identityKey) {
    throw mark(new DeviceKeysChangedError(
      `device "${d.sender.deviceId}" of "${d.sender.userId}" is listed with other keys than those that gave this chain: its previous install's chain is not read`,
      { userId: d.sender.userId, deviceId: d.sender.deviceId, conversationId: d.conversationId, action: 'refused' },
    ))
  }
  changes[key] = json({ chains: chains.map((c, i) => (i === at ? out.state : c)), ...(rec?.deviceKeys ? { deviceKeys: rec.deviceKeys } : {}) } satisfies PeerSenderKeyRecord)
  return out.plaintext
}
