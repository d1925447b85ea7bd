/**
 * The `GroupProtocol` seam (docs/groups.md, docs/decisions/0013 and 0014): how an E2EE group
 * message is encrypted for the members of the verified roster. Two implementations:
 * `senderKeys` (the default: one signed ciphertext per message on a per-device chain,
 * distributed over the pairwise sessions, rotated when a holder stops being a member device;
 * `sender-keys.ts`) and `pairwiseFanout` (one ratchet ciphertext per member device; kept as the
 * reference construction). MLS would plug in here too. The roster, not the construction,
 * decides who is a member: every implementation encrypts to the devices it is given.
 */
import type { DeviceAddress, Envelope, SenderKeyMessage } from '@parley/protocol'
import type { JsonValue } from '../key-store/key-store.js'
import type { Sessions } from '../sessions/sessions.js'

/** Encrypts group messages for member devices. Calls run inside the crypto lock. */
export interface GroupProtocol {
  /** Which construction (stable; shown in diagnostics). */
  readonly name: 'pairwise-fanout' | 'sender-keys'
  /**
   * Encrypts `plaintext` for `targets` (every device of every verified member but this one),
   * staging every state change in `changes` (written before anything leaves). Devices that
   * cannot be reached are returned in `missing`. With `senderKey`, `envelopes` are the chain
   * distributions only.
   */
  encrypt(args: { conversationId: string; targets: DeviceAddress[]; plaintext: Uint8Array; changes: Record<string, JsonValue | null> }): Promise<{ envelopes: Envelope[]; missing: DeviceAddress[]; senderKey?: SenderKeyMessage }>
  /** Forgets this device's group secret so the next message starts afresh (the server refused its coverage). */
  rotate?(args: { conversationId: string; changes: Record<string, JsonValue | null> }): Promise<void>
}

/** Pairwise fan-out over the client's ratchet sessions. */
export function pairwiseFanout(sessions: Sessions): GroupProtocol {
  return {
    name: 'pairwise-fanout',
    encrypt: ({ conversationId, targets, plaintext, changes }) => sessions.encryptFor(targets, plaintext, conversationId, changes),
  }
}
