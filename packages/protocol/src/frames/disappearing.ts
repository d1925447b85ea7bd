/**
 * Disappearing messages (issue 17): a per-conversation timer any member may set. The setting
 * is a record signed by the setting device's Ed25519 signing key over
 * {@link disappearingSigningText}, in every mode, so a server can store and relay it but never
 * forge or alter it. Versions count up from 1 per conversation; the server stores a record only
 * at the next version (compare-and-set), and every client believes only a verified record at a
 * version above the one it pinned.
 */
import * as v from 'valibot'
import { IdSchema, SignatureSchema, TimestampSchema, UserIdSchema } from './common.js'

/** The shortest timer, ms (1 second). */
export const MIN_DISAPPEARING_MS = 1_000
/** The longest timer, ms (365 days). */
export const MAX_DISAPPEARING_MS = 365 * 24 * 60 * 60 * 1_000
/** The highest version a conversation's setting may reach (one change per second for 285,000 years). */
export const MAX_DISAPPEARING_VERSION = Number.MAX_SAFE_INTEGER
/**
 * The furthest a client lets a setting's version jump past the one it pinned (decision 0023).
 * An honest server stores each change at the next version; without this bound one setting
 * signed at {@link MAX_DISAPPEARING_VERSION} (a member, relayed by a hostile server) froze the
 * timer on every client for good. At this step, reaching the maximum takes ~9 × 10^12 settings.
 */
export const MAX_DISAPPEARING_VERSION_STEP = 1_000

/** A timer in ms within the bounds (a message's franked timer; decision 0023). */
export const DisappearingTimerSchema = v.pipe(v.number(), v.integer(), v.minValue(MIN_DISAPPEARING_MS), v.maxValue(MAX_DISAPPEARING_MS))
/** A timer in ms within the bounds, or null for "off". */
export const DisappearingMsSchema = v.nullable(DisappearingTimerSchema)

/** A signed disappearing-messages setting. `ms: null` turns the timer off. */
export const DisappearingSettingSchema = v.strictObject({
  conversationId: IdSchema,
  ms: DisappearingMsSchema,
  /** 1 for the first setting of a conversation, then one more per change. */
  version: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(MAX_DISAPPEARING_VERSION)),
  userId: UserIdSchema,
  deviceId: IdSchema,
  ts: TimestampSchema,
  signature: SignatureSchema,
})
export type DisappearingSetting = v.InferOutput<typeof DisappearingSettingSchema>

/**
 * The exact text a device signs for a setting (UTF-8 encode it): line-separated, prefixed with
 * a domain label so it can never be confused with another signed object.
 */
export function disappearingSigningText(s: Omit<DisappearingSetting, 'signature'>): string {
  return ['parley/disappearing/v1', s.conversationId, s.ms === null ? 'off' : String(s.ms), String(s.version), s.userId, s.deviceId, String(s.ts)].join('\n')
}

/** `conversation.disappearing` (client → server): store this setting and tell every member. */
export const DisappearingSetSchema = v.strictObject({ setting: DisappearingSettingSchema })
/** `disappearing` (server → each member device): a member changed the setting. */
export const DisappearingEventSchema = v.strictObject({ setting: DisappearingSettingSchema })
export type DisappearingEvent = v.InferOutput<typeof DisappearingEventSchema>
