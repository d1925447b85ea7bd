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
 * when it has none): the server follows it, as every client does. An E2EE message's timer is
 * inside the ciphertext, so the server falls back on the conversation's setting it holds.
 */
export function expiresAtFor(ctx: Ctx, mode: EncryptionMode, conversation: ConversationRecord, now: number, readable?: { franked: number | undefined }): number | undefined {
  const retention = ctx.options.retention?.[mode]
  const timer = readable ? readable.franked : (conversation.disappearing?.ms ?? undefined)
  const ttl = retention && timer ? Math.min(retention, timer) : (retention || timer)
  return ttl ? now + ttl : undefined
}
