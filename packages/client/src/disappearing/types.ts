/** Event payloads and input checks of disappearing messages (issue 17, docs/recovery.md). */
import { MAX_DISAPPEARING_MS, MIN_DISAPPEARING_MS, type DeviceAddress } from '@parley/protocol'

/** `'disappearing'`: a member (maybe this device) changed the conversation's timer; verified before it is emitted. */
export interface DisappearingEventPayload {
  conversationId: string
  /** The timer in ms, or null: off. */
  ms: number | null
  /** The member device that signed the setting. */
  by: DeviceAddress
  /** The setting's version (1, 2, …). */
  version: number
  /** When the setter's device signed it (its clock). */
  ts: number
}

/** `'expired'`: messages whose timer ran out were deleted from this device's log and search index. */
export interface ExpiredEventPayload {
  conversationId: string
  messageIds: string[]
}

/**
 * Checks a timer given to `setDisappearing`: `null` (off) or a whole number of ms in
 * {@link MIN_DISAPPEARING_MS}..{@link MAX_DISAPPEARING_MS}.
 * @throws {TypeError} not a number or null. @throws {RangeError} not an integer, or out of bounds.
 */
export function checkTimer(ms: unknown): number | null {
  if (ms === null) return null
  if (typeof ms !== 'number') throw new TypeError(`"ms" expected a number of milliseconds or null, got ${typeof ms}`)
  if (!Number.isSafeInteger(ms) || ms < MIN_DISAPPEARING_MS || ms > MAX_DISAPPEARING_MS) {
    throw new RangeError(`"ms" expected an integer in ${MIN_DISAPPEARING_MS}..${MAX_DISAPPEARING_MS}, got ${ms}`)
  }
  return ms
}
