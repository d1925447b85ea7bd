/**
 * The disappearing timer each message carries in its franked content (docs/recovery.md,
 * decision 0023): the sender's pinned timer at the moment it queued the message. Every device
 * expires the message by this timer — not by the setting it happens to hold when it logs the
 * message — so a timer set while a member was offline does not reach back over older messages,
 * and turning a timer off does not spare the messages sent under it. Franking binds the timer,
 * so a server can neither change it nor strip it (nor add one).
 */
import type { DisappearingSetting } from '@parley/protocol'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'

/** Where a conversation's verified setting is pinned (timers.ts writes it). */
export const pinKey = (conversationId: string) => `disappearing/${encodeURIComponent(conversationId)}`

/** The timer this device puts on a message it sends now in `conversationId`: its pinned timer, if on. */
export async function pinnedTimer(store: KeyStore, conversationId: string): Promise<number | undefined> {
  const s = (await store.get<JsonValue>(pinKey(conversationId))) as DisappearingSetting | null
  return s?.ms ?? undefined
}

/** `{ timer }` for a spread into franked content, a body or a payload; `{}` without one. */
export const timerField = (timer: number | undefined): { timer?: number } => (timer !== undefined ? { timer } : {})
