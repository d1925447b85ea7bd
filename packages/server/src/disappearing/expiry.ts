/**
 * When a message appended now expires (issue 17): the shorter of the server's retention for
 * its mode and the conversation's disappearing timer. The store hides a message once
 * `expiresAt` passes (inbox catch-up, history, report coverage) and the purge deletes its row.
 */
import type { EncryptionMode } from '@parley/protocol'
import type { Ctx } from '../context.js'
import type { ConversationRecord } from '../store/store.js'

/**
 * `expiresAt` for a message appended at `now`, or undefined when it never expires. A readable
 * message carries its sender's timer in its franked body (decision 0023; `franked`, undefined
 * when it has none): the server follows it, as every client does, capped by the conversation's
 * setting. An E2EE message's timer is
 * inside the ciphertext, so the server falls back on the conversation's setting it holds.
 */
export function expiresAtFor(ctx: Ctx, mode: EncryptionMode, conversation: ConversationRecord, now: number, readable?: { franked: number | undefined }): number | undefined {
  const retention = ctx.options.retention?.[mode]
  // A readable message follows its franked timer, but never outlives the conversation's setting
  // the server holds: a sender that left the timer out (an older or modified client) does not
  // keep its message past the timer the members set.
  const setting = conversation.disappearing?.ms ?? undefined
  const timer = readable ? shorter(readable.franked, setting) : setting
  const ttl = retention && timer ? Math.min(retention, timer) : (retention || timer)
  return ttl ? now + ttl : undefined
}

/** The shorter of two optional timers. */
function shorter(a: number | undefined, b: number | undefined): number | undefined {
  return a !== undefined && b !== undefined ? Math.min(a, b) : (a ?? b)
}
