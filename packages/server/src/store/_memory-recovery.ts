/**
 * The memory store's disappearing-messages setting (compare-and-set on its version) and account
 * reset without a backup (docs/recovery.md): the reset forgets the pinned identity, records it
 * as abandoned (never pinned again), deactivates the devices and drops their prekeys
 * (`_sql-recovery.ts` is the SQL counterpart).
 */
import { DisappearingRejectedError, NotFoundError } from '@parley/protocol'
import { clone, type MemoryState } from './_memory-state.js'
import type { ParleyStore } from './store.js'

type RecoveryMethods = Pick<ParleyStore, 'setDisappearing' | 'resetIdentity'>

export function memoryRecoveryMethods(s: MemoryState): RecoveryMethods {
  const { users, abandoned, tickets, devices, conversations, activeDevices } = s
  return {
    async setDisappearing(setting) {
      const c = conversations.get(setting.conversationId)
      if (!c) throw new NotFoundError('unknown conversation', { resource: 'conversation', id: setting.conversationId })
      if ((c.disappearing?.version ?? 0) !== setting.version - 1) {
        throw new DisappearingRejectedError('another member changed the setting first', { conversationId: c.id, version: setting.version, reason: 'stale' })
      }
      c.disappearing = clone(setting)
      return clone(c)
    },
    async resetIdentity(userId, ticket) {
      const was = activeDevices(userId).map((d) => d.deviceId)
      if (ticket) tickets.set(userId, { ...ticket, attempts: 0 })
      const key = users.get(userId)?.identityKey
      if (key !== undefined) abandoned.set(userId, (abandoned.get(userId) ?? new Set()).add(key))
      users.delete(userId)
      for (const d of devices.values()) {
        if (d.userId !== userId) continue
        d.active = false
        d.oneTime.clear()
        d.kemOneTime.clear()
      }
      return { devices: was }
    },
  }
}
