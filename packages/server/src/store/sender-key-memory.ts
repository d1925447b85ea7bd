/** The in-memory `SenderKeyStore` (the reference for `sender-key-sql.ts`). */
import type { DeviceAddress } from '@parley/protocol'
import type { SenderKeyChainRef, SenderKeyStore } from './sender-key-store.js'

const chainKey = (c: SenderKeyChainRef) => `${c.conversationId}\n${c.sender.userId}\n${c.sender.deviceId}\n${c.keyId}`

/** Creates an empty in-memory sender-key holder store. */
export function memorySenderKeyStore(): SenderKeyStore {
  const holders = new Map<string, Map<string, DeviceAddress>>()
  return {
    async holders(chain) {
      return [...(holders.get(chainKey(chain))?.values() ?? [])].map((d) => ({ ...d }))
    },
    async addHolders(chain, devices) {
      const k = chainKey(chain)
      const set = holders.get(k) ?? new Map<string, DeviceAddress>()
      for (const d of devices) set.set(`${d.userId}\n${d.deviceId}`, { userId: d.userId, deviceId: d.deviceId })
      holders.set(k, set)
    },
  }
}
