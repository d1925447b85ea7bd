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
    async dropUsers(conversationId, userIds) {
      const gone = new Set(userIds)
      for (const [k, set] of holders) {
        const [c, senderUser] = k.split('\n')
        if (c !== conversationId) continue
        if (gone.has(senderUser!)) {
          holders.delete(k)
          continue
        }
        for (const [dk, d] of set) if (gone.has(d.userId)) set.delete(dk)
      }
    },
    async dropDevice(device) {
      const dk = `${device.userId}\n${device.deviceId}`
      for (const [k, set] of holders) {
        const [, senderUser, senderDevice] = k.split('\n')
        if (`${senderUser}\n${senderDevice}` === dk) holders.delete(k)
        else set.delete(dk)
      }
    },
  }
}
