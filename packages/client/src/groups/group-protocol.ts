/**
 * The `GroupProtocol` seam (docs/groups.md, docs/decisions/0013): how an E2EE group message is
 * encrypted for the members of the verified roster. This build ships one implementation,
 * `pairwiseFanout` — one ratchet ciphertext per member device over the existing PQXDH/Double
 * Ratchet sessions — which is what a removed member's exclusion rests on: it is simply never
 * encrypted to again. Sender keys (one signed ciphertext per message, a chain per member device,
 * rotated on leave/remove/revoke) and MLS later plug in here without touching the outbox, the
 * roster or the server's coverage rule for envelopes (a sender-keys implementation adds the
 * rotation hook it needs: pairwise fan-out keeps no group key, so a removal needs none — the next
 * message is simply encrypted only to the devices still listed).
 */
import type { DeviceAddress, Envelope } from '@parley/protocol'
import type { JsonValue } from '../key-store/key-store.js'
import type { Sessions } from '../sessions.js'

/** Encrypts group messages for member devices. Calls run inside the crypto lock. */
export interface GroupProtocol {
  /** Which construction (stable; shown in diagnostics). */
  readonly name: 'pairwise-fanout'
  /**
   * Encrypts `plaintext` for `targets` (every device of every verified member but this one),
   * staging every state change in `changes` (written before anything leaves). Devices that
   * cannot be reached are returned in `missing`.
   */
  encrypt(args: { conversationId: string; targets: DeviceAddress[]; plaintext: Uint8Array; changes: Record<string, JsonValue | null> }): Promise<{ envelopes: Envelope[]; missing: DeviceAddress[] }>
}

/** Pairwise fan-out over the client's ratchet sessions. */
export function pairwiseFanout(sessions: Sessions): GroupProtocol {
  return {
    name: 'pairwise-fanout',
    encrypt: ({ conversationId, targets, plaintext, changes }) => sessions.encryptFor(targets, plaintext, conversationId, changes),
  }
}
