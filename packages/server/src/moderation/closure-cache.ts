/**
 * Which conversations a moderator closed, cached per node so a send costs no extra store read.
 * A closure is final, so "closed" is cached for good; "open" is cached until a closure on any
 * node evicts it (`CLOSED_EVENT` through the adapter). A send racing the close on another node
 * can land within that broadcast's latency; every send after it is refused.
 */
import { CONVERSATION_CACHE_SIZE } from '../options.js'
import type { ModerationStore } from '../store/moderation-store.js'

/** The inter-server event that tells every node a conversation was closed. */
export const CLOSED_EVENT = 'parley:conversation-closed'

export class ClosureCache {
  private readonly known = new Map<string, boolean>()
  constructor(private readonly store: ModerationStore) {}

  async isClosed(conversationId: string): Promise<boolean> {
    const hit = this.known.get(conversationId)
    if (hit !== undefined) return hit
    const closed = (await this.store.closure(conversationId)) !== null
    this.remember(conversationId, closed)
    return closed
  }

  /** Records a closure this node made or heard of. */
  closed(conversationId: string): void {
    this.remember(conversationId, true)
  }

  private remember(conversationId: string, closed: boolean): void {
    if (!this.known.has(conversationId) && this.known.size >= CONVERSATION_CACHE_SIZE) this.known.delete(this.known.keys().next().value!)
    this.known.set(conversationId, closed)
  }
}
