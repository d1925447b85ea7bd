/**
 * Finding a message of the local log by its server id: actions (edits, tombstones,
 * reactions) name their target by id, the log is keyed by seq, so each stored message also
 * writes `msgid/<conversation>/<id> → seq`. A log written before that index is scanned.
 */
import type { KeyStore, JsonValue } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'

/** Pending store changes layered over the store (`key in changes` reads through layers). */
export type Changes = Record<string, JsonValue | null>

const read = async <T>(store: KeyStore, changes: Changes | undefined, key: string): Promise<T | null> =>
  changes && key in changes ? (changes[key] as unknown as T | null) : ((await store.get<JsonValue>(key)) as unknown as T | null)

/** The stored message with server id `messageId`, or null. */
export async function findMessage(store: KeyStore, conversationId: string, messageId: string, changes?: Changes): Promise<StoredMessage | null> {
  const seq = await read<number>(store, changes, K.messageId(conversationId, messageId))
  if (typeof seq === 'number') {
    const m = await read<StoredMessage>(store, changes, K.message(conversationId, seq))
    if (m && m.id === messageId) return m
  }
  for (const key of await store.keys(K.messagePrefix(conversationId))) {
    const m = await read<StoredMessage>(store, changes, key)
    if (m && m.id === messageId) return m
  }
  return null
}

/** Writes `m` (a message, or a target with new derived state) and its id index into `changes`. */
export function putMessage(changes: Changes, m: StoredMessage): void {
  changes[K.message(m.conversationId, m.seq)] = m as unknown as JsonValue
  changes[K.messageId(m.conversationId, m.id)] = m.seq
}
