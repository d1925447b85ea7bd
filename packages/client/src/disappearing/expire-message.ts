/**
 * What expiring one message deletes on this device (docs/recovery.md, decision 0023): its log
 * row, its message-id index entry, and the rows of its edits (their texts live on as the
 * target's `edits`, gone with it; the edit messages themselves would otherwise outlive it) with
 * their index entries. A tombstone `gone/<conversation>/<seq>` stays in place of the message,
 * so neither a server's redelivery nor readable server history can bring the seq back.
 */
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'

const pad = (n: number) => String(n).padStart(16, '0')
/** The tombstone prefix of a conversation's expired seqs. */
export const gonePrefix = (conversationId: string) => `gone/${conversationId}/`
const goneKey = (conversationId: string, seq: number) => `${gonePrefix(conversationId)}${pad(seq)}`

/** True when this device expired the message at `seq` (it is never logged or shown again). */
export async function isExpiredSeq(store: KeyStore, conversationId: string, seq: number): Promise<boolean> {
  return (await store.get<JsonValue>(goneKey(conversationId, seq))) !== null
}

/** The expired seqs of a conversation (history leaves them out). */
export async function expiredSeqs(store: KeyStore, conversationId: string): Promise<Set<number>> {
  const prefix = gonePrefix(conversationId)
  return new Set((await store.keys(prefix)).map((k) => Number(k.slice(prefix.length))))
}

/**
 * Adds to `changes` the deletion of the message at `seq` and everything that expires with it;
 * returns the deleted log keys (for the search index).
 */
export async function expireMessage(store: KeyStore, conversationId: string, seq: number, id: string, changes: Record<string, JsonValue | null>): Promise<string[]> {
  const logKey = K.message(conversationId, seq)
  const m = (await store.get<JsonValue>(logKey)) as StoredMessage | null
  const deleted = [logKey]
  changes[logKey] = null
  changes[K.messageId(conversationId, id)] = null
  changes[goneKey(conversationId, seq)] = 1
  for (const editSeq of m?.editSeqs ?? []) {
    const editKey = K.message(conversationId, editSeq)
    const edit = (await store.get<JsonValue>(editKey)) as StoredMessage | null
    changes[editKey] = null
    deleted.push(editKey)
    if (edit) changes[K.messageId(conversationId, edit.id)] = null
  }
  return deleted
}
