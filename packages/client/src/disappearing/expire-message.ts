/**
 * What expiring one message deletes on this device (docs/recovery.md, decisions 0023, 0025): its
 * log row, its message-id index entry, the rows of its edits (their texts live on as the
 * target's `edits`, gone with it; the edit messages themselves would otherwise outlive it) and
 * of its tombstone with their index entries, and any action still waiting for it. A tombstone
 * `gone/<conversation>/<seq>` stays in place of the message (tombstones.ts), so neither a
 * server's redelivery nor readable server history can bring the seq back; its commitment index
 * entry stays too, so an action that arrives later is recognised and dropped (messages/receive.ts).
 */
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import { goneKey } from './tombstones.js'

export { expiredSeqs, gonePrefix, isExpiredSeq } from './tombstones.js'

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
  changes[goneKey(conversationId, seq)] = m?.tf ?? 1 // the commitment: pruning drops its index entry with it
  const drop = async (actionSeq: number) => {
    const key = K.message(conversationId, actionSeq)
    const action = (await store.get<JsonValue>(key)) as StoredMessage | null
    changes[key] = null
    deleted.push(key)
    if (action) changes[K.messageId(conversationId, action.id)] = null
  }
  for (const editSeq of m?.editSeqs ?? []) await drop(editSeq)
  if (m?.deleted) await drop(m.deleted.seq)
  // Actions that wait for this message by its commitment (pending-actions.ts) never apply now.
  if (m) {
    for (const key of await store.keys(K.actionPendingPrefix(conversationId, m.tf))) {
      const actionSeq = await store.get<JsonValue>(key)
      changes[key] = null
      if (typeof actionSeq === 'number') await drop(actionSeq)
    }
  }
  return deleted
}
