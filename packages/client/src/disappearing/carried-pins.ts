/**
 * Disappearing pins carried by a history transfer or a backup (decision 0025). The old device's
 * pinned settings travel in the snapshot, so a linked or restored device starts from the same
 * version instead of from nothing (a server could otherwise hand it an older genuine setting).
 * They are not believed as they come: the snapshot writes them under `disappearing-carried/`,
 * and the timers check each one as any setting (a member's, signed by that member's listed
 * device) on the first connect, before the server's settings, then pin it or drop it.
 *
 * A restore usually drops the user's old devices from its list, so a setting one of them signed
 * would no longer verify there: a restore records, with each carried setting the user's own
 * device signed, that device's key from the user's device lists it verified under the restored
 * identity (the backed-up one and the server's), and the check uses it when the list has none.
 */
import * as v from 'valibot'
import { DisappearingSettingSchema, type DisappearingSetting, type SignedDeviceList } from '@parley/protocol'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { PIN_PREFIX } from './message-timer.js'

/** Where an imported, not yet verified pin waits. */
export const CARRIED_PIN_PREFIX = 'disappearing-carried/'

/** Where the carried pin of `conversationId` waits (the pin key's name under {@link CARRIED_PIN_PREFIX}). */
export const carriedPinKey = (conversationId: string) => `${CARRIED_PIN_PREFIX}${encodeURIComponent(conversationId)}`

/**
 * The conversation a carried pin's key names, or null for a key that does not decode. A pin is
 * settled for this conversation even when its setting is malformed (review of 2026-12-03, third
 * round, L7): its waiting records are filed under the key's conversation, never the setting's.
 */
export function carriedConversation(key: string): string | null {
  try {
    return decodeURIComponent(key.slice(CARRIED_PIN_PREFIX.length))
  } catch {
    return null
  }
}

/**
 * The setting of `conversationId`'s carried pin when it is well formed and names that
 * conversation, else null. The one test of "a carried pin waits" (timers.ts, receipt-expiry.ts):
 * a malformed pin settles as nothing and holds nothing back (review L7).
 */
export async function carriedSetting(store: KeyStore, conversationId: string): Promise<DisappearingSetting | null> {
  return wellFormedSetting((await store.get<JsonValue>(carriedPinKey(conversationId))) as CarriedPin | null, conversationId)
}

/** `pin`'s setting when it is well formed and for `conversationId`, else null. */
export function wellFormedSetting(pin: CarriedPin | null, conversationId: string | null): DisappearingSetting | null {
  const s = pin?.setting
  return v.is(DisappearingSettingSchema, s) && s.conversationId === conversationId ? s : null
}

/** A carried pin: the setting, and for the user's own devices the key a restore vouched for. */
export interface CarriedPin {
  setting: DisappearingSetting
  signingKey?: string
}

/** The key and record an imported pin is written as: `disappearing/x` → `disappearing-carried/x`. */
export function carried(key: string, value: JsonValue): [string, JsonValue] {
  if (!key.startsWith(PIN_PREFIX)) return [key, value]
  return [CARRIED_PIN_PREFIX + key.slice(PIN_PREFIX.length), { setting: value } as unknown as JsonValue]
}

/**
 * Restore: adds to each carried pin the user's own signer's key from `lists` (already verified
 * under the restored identity key by the caller).
 */
export function vouchOwnSigners(changes: Record<string, JsonValue>, userId: string, lists: SignedDeviceList[]): void {
  for (const [key, value] of Object.entries(changes)) {
    if (!key.startsWith(CARRIED_PIN_PREFIX)) continue
    const pin = value as unknown as CarriedPin
    if (pin.setting?.userId !== userId) continue
    const entry = lists.flatMap((l) => l.devices).find((d) => d.deviceId === pin.setting.deviceId)
    if (entry) changes[key] = { ...pin, signingKey: entry.signingKey } as unknown as JsonValue
  }
}
