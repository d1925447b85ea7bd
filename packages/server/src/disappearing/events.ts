/**
 * Keeping every node's conversation cache current after a disappearing-messages change: the
 * node that stored it puts the new record in its own cache and tells the others through the
 * adapter, so a send on any node gets the new timer. A node that missed the broadcast (an
 * adapter hiccup) uses its cached timer until the entry is evicted; docs/recovery.md says so.
 */
import { Adapter } from 'socket.io-adapter'
import type { Ctx } from '../context.js'

/** The inter-server event naming a conversation whose setting changed. */
export const DISAPPEARING_EVENT = 'parley:disappearing'

/** Tells the other nodes (if any) to drop their cached copy of `conversationId`. */
export function broadcastDisappearing(ctx: Ctx, conversationId: string): void {
  if (ctx.io.of('/').adapter.serverSideEmit === Adapter.prototype.serverSideEmit) return // one node
  ctx.io.serverSideEmit(DISAPPEARING_EVENT, conversationId)
}

/** The listener every node installs: evicts the named conversation from its cache. */
export function onDisappearingBroadcast(ctx: Ctx): (conversationId: unknown) => void {
  return (conversationId) => {
    if (typeof conversationId === 'string') ctx.conversations.evict(conversationId)
  }
}
