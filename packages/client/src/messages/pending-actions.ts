/**
 * Actions that arrive before their target (review of decision 0021). The server orders
 * deliveries and a ratchet accepts messages out of order, so an edit or tombstone can be stored
 * before the message it names. It is kept under its target's commitment and applied when a
 * message with that commitment is stored — never by id, so a later message under a reused id
 * cannot collect it. At most {@link MAX_PENDING_ACTIONS_PER_TARGET} are applied per target, so
 * one arrival costs bounded work.
 */
import type { KeyStore, JsonValue } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import type { Changes } from './find-message.js'

/** Most waiting actions applied when one target arrives (edits, a tombstone and reactions fit). */
export const MAX_PENDING_ACTIONS_PER_TARGET = 200

/** Records that `action` (stored at its seq) waits for the message committed to by `tf`. */
export function holdForTarget(changes: Changes, action: StoredMessage, tf: string): void {
  changes[K.actionPending(action.conversationId, tf, action.seq)] = action.seq
}

/** The seqs of actions waiting for `m` (in seq order), their pending keys cleared in `changes`. */
export async function takeWaiting(store: KeyStore, changes: Changes, m: StoredMessage): Promise<number[]> {
  const prefix = K.actionPendingPrefix(m.conversationId, m.tf)
  const stored = await store.keys(prefix)
  const keys = new Set([...stored, ...Object.keys(changes).filter((k) => k.startsWith(prefix))])
  const live = [...keys].filter((k) => changes[k] !== null).sort().slice(0, MAX_PENDING_ACTIONS_PER_TARGET)
  const seqs: number[] = []
  for (const k of live) {
    const v = k in changes ? changes[k] : ((await store.get<JsonValue>(k)) as JsonValue | null)
    changes[k] = null
    if (typeof v === 'number') seqs.push(v)
  }
  return seqs
}
