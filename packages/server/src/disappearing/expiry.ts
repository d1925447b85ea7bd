/**
 * When a message appended now expires (issue 17): the shorter of the server's retention for
 * its mode and the conversation's disappearing timer. The store hides a message once
 * `expiresAt` passes (inbox catch-up, history, report coverage) and the purge deletes its row.
 */
import type { EncryptionMode } from '@parley/protocol'
import type { Ctx } from '../context.js'
import type { ConversationRecord } from '../store/store.js'

/** `expiresAt` for a message appended at `now`, or undefined when it never expires. */
export function expiresAtFor(ctx: Ctx, mode: EncryptionMode, conversation: ConversationRecord, now: number): number | undefined {
  const retention = ctx.options.retention?.[mode]
  const timer = conversation.disappearing?.ms ?? undefined
  const ttl = retention && timer ? Math.min(retention, timer) : (retention || timer)
  return ttl ? now + ttl : undefined
}
