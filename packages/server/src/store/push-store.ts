/**
 * `PushStore`: how each device asked to be woken while offline (issue 18, docs/push.md) — Web
 * Push subscriptions and native push tokens, at most `MAX_PUSH_REGISTRATIONS` per device. A
 * sub-interface of the store (`store.push`), one file per backend (`push-memory.ts`,
 * `push-sql.ts`) and one conformance suite (`push-contract.ts`). Registrations are routing data
 * the device gave the server; they hold no message content and no key the server could use to
 * read one (a Web Push subscription's keys only let the server encrypt *to* the browser).
 */
import type { DeviceAddress, PushRegistration } from '@parley/protocol'

export interface PushStore {
  /**
   * Stores `registration` for `device`, replacing the one with its id. When the device then has
   * more than `max`, the least recently registered others go (the new one always stays), in
   * one atomic step. Returns how many the device has now.
   */
  register(device: DeviceAddress, registration: PushRegistration, now: number, max: number): Promise<number>
  /** Forgets one registration of `device`; false when there was none. */
  unregister(device: DeviceAddress, id: string): Promise<boolean>
  /**
   * The registrations of each device, in the order of `devices` (an empty list for a device
   * with none), each device's newest first. One round trip for the whole list.
   */
  forDevices(devices: readonly DeviceAddress[]): Promise<PushRegistration[][]>
}
