/**
 * Which conversations a moderator closed, cached per node so a send costs no extra store read.
 * A closure is final, so "closed" is cached for good; "open" is cached until a closure on any
 * node evicts it (`CLOSED_EVENT` through the adapter), and for at most `CLOSURE_OPEN_TTL_MS`
 * (a node that missed the broadcast reads the store again). A send racing the close can land
 * within that window; every send after it is refused.
 */
import { ConversationClosedError } from '@parley/protocol'
import { CONVERSATION_CACHE_SIZE } from '../options.js'
import type { ModerationStore } from '../store/moderation-store.js'

/**
 * How long a node trusts its "open" answer before reading the store again: bounds how long a
 * node that missed a closure broadcast (an adapter hiccup) keeps accepting sends.
 */
export const CLOSURE_OPEN_TTL_MS = 5_000

/** The inter-server event that tells every node a conversation was closed. */
export const CLOSED_EVENT = 'parley:conversation-closed'

export class ClosureCache {
  /** true: closed for good; a number: open as of that time. */
  private readonly known = new Map<string, true | number>()
  constructor(private readonly store: ModerationStore, private readonly now: () => number) {}

  async isClosed(conversationId: string): Promise<boolean> {
    const hit = this.known.get(conversationId)
    if (hit === true) return true
    if (hit !== undefined && this.now() - hit < CLOSURE_OPEN_TTL_MS) return false
    const closed = (await this.store.closure(conversationId)) !== null
    this.remember(conversationId, closed ? true : this.now())
    return closed
  }

  /** True when this node knows, fresh enough, that the conversation is open (no store read, no promise). */
  openNow(conversationId: string): boolean {
    const hit = this.known.get(conversationId)
    return typeof hit === 'number' && this.now() - hit < CLOSURE_OPEN_TTL_MS
  }

  /** @throws {ConversationClosedError} when a moderator closed the conversation. */
  async assertOpen(conversationId: string): Promise<void> {
    if (await this.isClosed(conversationId)) throw new ConversationClosedError(undefined, { conversationId })
  }

  /** Records a closure this node made or heard of. */
  closed(conversationId: string): void {
    this.remember(conversationId, true)
  }

  private remember(conversationId: string, state: true | number): void {
    if (!this.known.has(conversationId) && this.known.size >= CONVERSATION_CACHE_SIZE) this.known.delete(this.known.keys().next().value!)
    this.known.set(conversationId, state)
  }
}
