/** The in-memory `PushStore` (the reference for `push-sql.ts`). */
import type { PushRegistration } from '@parley/protocol'
import type { PushStore } from './push-store.js'

interface Row {
  registration: PushRegistration
  updatedAt: number
  /** Insertion order, the tie-break of equal `updatedAt` (as the SQL store's id order is not). */
  order: number
}

const deviceKey = (d: { userId: string; deviceId: string }) => `${d.userId}\n${d.deviceId}`
/** Newest first: by time, then by registration order. */
const newestFirst = (a: Row, b: Row) => b.updatedAt - a.updatedAt || b.order - a.order

/** Creates an empty in-memory push registration store. */
export function memoryPushStore(): PushStore {
  const byDevice = new Map<string, Map<string, Row>>()
  let order = 0
  return {
    async register(device, registration, now, max) {
      const rows = byDevice.get(deviceKey(device)) ?? new Map<string, Row>()
      rows.set(registration.id, { registration: structuredClone(registration), updatedAt: now, order: ++order })
      const keep = [...rows.values()].sort((a, b) => (a.registration.id === registration.id ? -1 : b.registration.id === registration.id ? 1 : newestFirst(a, b))).slice(0, max)
      byDevice.set(deviceKey(device), new Map(keep.map((r) => [r.registration.id, r])))
      return keep.length
    },
    async unregister(device, id) {
      return byDevice.get(deviceKey(device))?.delete(id) ?? false
    },
    async forDevices(devices) {
      return devices.map((d) => [...(byDevice.get(deviceKey(d))?.values() ?? [])].sort(newestFirst).map((r) => structuredClone(r.registration)))
    },
  }
}
