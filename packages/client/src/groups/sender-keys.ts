/**
 * Sender keys, the sending half (docs/groups.md, decision 0014): the `GroupProtocol` an E2EE
 * group message goes through. Each device keeps one chain per group (`createSenderKey`: a chain
 * key and an Ed25519 signature key). A message is encrypted and signed ONCE on that chain; the
 * chain (its current position and public signature key) is distributed over the pairwise
 * PQXDH/Double Ratchet sessions only to member devices that were not given it yet. The chain is
 * rotated — a new one, distributed to every current member device — whenever a device it was
 * given is no longer a device of the verified roster (a member removed or left, a device
 * revoked, or listed again under its id with new keys): a removed member holds only chains
 * nobody sends on again.
 */
import { DeviceKeysChangedError, toBase64, type DeviceAddress, type SenderKeyDistributionPayload } from '@parley/protocol'
import { createSenderKey, nobleProvider, senderKeyAd, senderKeyDistribution, senderKeyEncryptWith } from '@parley/crypto'
import type { ClientCore } from '../core.js'
import type { Directory } from '../sessions/directory.js'
import type { Sessions } from '../sessions/sessions.js'
import { json } from '../store-layout.js'
import type { GroupProtocol } from './group-protocol.js'
import { SK, deviceKey, readStaged, type OwnSenderKeyRecord } from './sender-key-store.js'

/** The bytes of a distribution payload (what a distribution envelope carries). */
function distributionBytes(conversationId: string, own: OwnSenderKeyRecord): Uint8Array {
  const payload: SenderKeyDistributionPayload = { type: 'sender-key-distribution', conversationId, ...senderKeyDistribution(own.state) }
  return new TextEncoder().encode(JSON.stringify(payload))
}

/** Sender keys over the client's pairwise sessions. */
export function senderKeys(core: ClientCore, sessions: Sessions, directory: Directory): GroupProtocol {
  return {
    name: 'sender-keys',
    async encrypt({ conversationId, targets, plaintext, changes }) {
      const self = core.self()
      const current = new Set(targets.map(deviceKey))
      let own = await readStaged<OwnSenderKeyRecord>(core.store, SK.own(conversationId), changes)
      const listed = await directory.listedKeys(targets.map((t) => t.userId))
      // A holder listed now with other keys than it was given the chain under came back under its old id: a new device (decision 0022).
      const returned = (own?.distributedTo ?? []).filter((d) => own?.deviceKeys?.[d] !== undefined && listed.has(d) && listed.get(d) !== own.deviceKeys[d])
      for (const d of returned) {
        const [userId, deviceId] = d.split('\n') as [string, string]
        core.reportError({ error: new DeviceKeysChangedError(`device "${deviceId}" of "${userId}" came back with new keys: this device's chain was rotated`, { userId, deviceId, conversationId, action: 'rotated' }), conversationId })
      }
      // Rotate when a device that holds the chain is no longer a member device (remove, leave, revoke, new keys).
      if (!own || own.retired || returned.length > 0 || own.distributedTo.some((d) => !current.has(d))) {
        // A new chain id, never the previous one (receivers keep a chain they hold by its id).
        let state = createSenderKey()
        while (own && state.keyId === own.state.keyId) state = createSenderKey()
        own = { state, distributedTo: [] }
      }
      const given = new Set(own.distributedTo)
      const lacking = targets.filter((t) => !given.has(deviceKey(t)))
      const { envelopes, missing } = lacking.length
        ? await sessions.encryptFor(lacking, distributionBytes(conversationId, own), conversationId, changes)
        : { envelopes: [], missing: [] as DeviceAddress[] }
      // The provider signs (native Ed25519 where the runtime has it: the signature is most of a send's cost).
      const out = await senderKeyEncryptWith((await core.provider()) ?? nobleProvider, own.state, plaintext, senderKeyAd(conversationId, self))
      const keysGiven = envelopes.flatMap((e) => (listed.has(deviceKey(e)) ? [[deviceKey(e), listed.get(deviceKey(e))!] as const] : []))
      const next: OwnSenderKeyRecord = {
        state: out.state, distributedTo: [...own.distributedTo, ...envelopes.map(deviceKey)], deviceKeys: { ...own.deviceKeys, ...Object.fromEntries(keysGiven) },
      }
      changes[SK.own(conversationId)] = json(next)
      return { envelopes, missing, senderKey: { keyId: out.state.keyId, ciphertext: toBase64(out.message) } }
    },
    async rotate({ conversationId, changes }) {
      // Retired, not deleted: the next chain must not reuse this id (receivers keep a chain they hold by its id).
      const own = await readStaged<OwnSenderKeyRecord>(core.store, SK.own(conversationId), changes)
      changes[SK.own(conversationId)] = own ? json({ ...own, retired: true } satisfies OwnSenderKeyRecord) : null
    },
  }
}
