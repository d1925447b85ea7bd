/**
 * Disappearing pins carried by a history transfer or a backup (decision 0025). The old device's
 * pinned settings travel in the snapshot, so a linked or restored device starts from the same
 * version instead of from nothing (a server could otherwise hand it an older genuine setting).
 * They are not believed as they come: the snapshot writes them under `disappearing-carried/`,
 * and the timers check each one as any setting (a member's, signed by that member's listed
 * device) on the first connect, before the server's settings, then pin it or drop it.
 */
import { PIN_PREFIX } from './message-timer.js'

/** Where an imported, not yet verified pin waits. */
export const CARRIED_PIN_PREFIX = 'disappearing-carried/'

/** The key an imported pin record is written under: `disappearing/x` → `disappearing-carried/x`. */
export function carriedKey(key: string): string {
  return key.startsWith(PIN_PREFIX) ? CARRIED_PIN_PREFIX + key.slice(PIN_PREFIX.length) : key
}
