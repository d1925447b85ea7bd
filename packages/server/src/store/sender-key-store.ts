/**
 * Which devices were given which sender-key chain (docs/groups.md, decision 0014): the server's
 * half of the coverage rule for a sender-key group send. A send carrying one `senderKey`
 * ciphertext is accepted only when every current member device (but the sender's) either holds
 * that chain already — it was sent a distribution envelope for it in an earlier stored send —
 * or gets one in this send. The server learns chain ids and device addresses, never a key.
 *
 * Holders only ever grow per chain (but for a removed user's, dropped at the removal), and they are read before the append decides: a stale read
 * can only refuse a send (the client distributes again), never let one reach fewer devices.
 */
import type { DeviceAddress } from '@parley/protocol'

/** A chain of one sending device in one group. */
export interface SenderKeyChainRef {
  conversationId: string
  sender: DeviceAddress
  keyId: number
}

export interface SenderKeyStore {
  /** The devices a distribution of this chain was stored for (any order; empty when none). */
  holders(chain: SenderKeyChainRef): Promise<DeviceAddress[]>
  /** Records that `devices` were sent a distribution of this chain (idempotent). */
  addHolders(chain: SenderKeyChainRef, devices: readonly DeviceAddress[]): Promise<void>
  /**
   * Forgets the users removed from (or leaving) a group, as holders and as senders: a re-added
   * user holds nothing until a chain is distributed to it again (its devices dropped every chain).
   */
  dropUsers(conversationId: string, userIds: readonly string[]): Promise<void>
  /**
   * Forgets one device, as holder and as sender, in every group: its id registered again with
   * other keys (decision 0022), so the new keys hold no chain the previous ones were given.
   */
  dropDevice(device: DeviceAddress): Promise<void>
}
