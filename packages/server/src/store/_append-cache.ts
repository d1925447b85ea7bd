/**
 * What this node last knew, after its own commits, about the conversations and devices it
 * appends to: each conversation's mode and last seq, each member's active devices and each
 * device's inbox seq. A batch whose every conversation is known is decided from here and
 * written in one statement that checks, in the database, that all of it is still current
 * (see `_sql-append.ts`); the cache is a guess that saves the locking reads, never a source
 * of truth. Bounded: the oldest entries go first.
 */
import type { AppendConversation, AppendState, Decided } from './_append-decide.js'
import { deviceKey } from './_rules.js'
import type { NewMessage, StoredMessage } from './store.js'

/** Conversations remembered per store (each with its members' devices). */
export const APPEND_CACHE_CONVERSATIONS = 10_000
/** Users' device lists and device inbox seqs remembered, each (1:1: two users a conversation, a few devices each). */
const PER_CONVERSATION = 4

const NO_RESENDS: ReadonlyMap<string, StoredMessage> = new Map()

/** Map.set that drops the oldest entry beyond `limit` (first in, first out: cheap, and a miss only costs one locking append). */
function put<K, V>(map: Map<K, V>, key: K, value: V, limit: number): void {
  map.set(key, value)
  if (map.size > limit) map.delete(map.keys().next().value as K)
}

export class AppendCache {
  private readonly conversations = new Map<string, AppendConversation>()
  private readonly devicesOf = new Map<string, readonly string[]>()
  private readonly inboxSeq = new Map<string, number>()

  constructor(private readonly limit = APPEND_CACHE_CONVERSATIONS) {}

  /** The state to decide `batch` on, or undefined when any of it is unknown. */
  state(batch: readonly NewMessage[]): AppendState | undefined {
    const conversations = new Map<string, AppendConversation>()
    const devicesOf = new Map<string, readonly string[]>()
    const inboxSeq = new Map<string, number>()
    for (const m of batch) {
      if (conversations.has(m.conversationId)) continue
      const c = this.conversations.get(m.conversationId)
      if (!c) return undefined
      conversations.set(m.conversationId, c) // read only until learn() replaces it
      for (const userId of c.members) {
        if (devicesOf.has(userId)) continue
        const devices = this.devicesOf.get(userId)
        if (!devices) return undefined
        devicesOf.set(userId, devices)
        for (const deviceId of devices) {
          const key = deviceKey({ userId, deviceId })
          const seq = this.inboxSeq.get(key)
          if (seq === undefined) return undefined
          inboxSeq.set(key, seq)
        }
      }
    }
    return { stored: NO_RESENDS, conversations, devicesOf, inboxSeq }
  }

  /** Records the state a committed batch leaves behind: what it read, moved by what it wrote. */
  learn(state: AppendState, decided: Decided): void {
    const limit = this.limit * PER_CONVERSATION
    const moved = new Map(decided.seqs.map((s) => [s.id, s.next]))
    for (const [id, c] of state.conversations) {
      const next = moved.get(id)
      put(this.conversations, id, next === undefined ? c : { ...c, lastSeq: next }, this.limit)
    }
    for (const [userId, devices] of state.devicesOf) put(this.devicesOf, userId, devices, limit)
    for (const [key, seq] of state.inboxSeq) put(this.inboxSeq, key, seq, limit)
    for (const c of decided.cursors) put(this.inboxSeq, deviceKey(c), c.next, limit)
  }

  /** Forgets the batch's conversations (their members' devices are re-read with them). */
  forget(batch: readonly NewMessage[]): void {
    for (const m of batch) {
      const c = this.conversations.get(m.conversationId)
      this.conversations.delete(m.conversationId)
      for (const userId of c?.members ?? []) this.devicesOf.delete(userId)
    }
  }
}
