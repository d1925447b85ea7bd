/**
 * Reports over edited messages (docs/messages.md): a report that includes an edited message
 * carries its whole edit chain — the original and every edit, each franked at its own seq —
 * and an edit or tombstone in a report brings the message it refers to, so the server can
 * verify each version and that every edit and tombstone came from the original's author.
 */
import { MAX_REPORT_ENTRIES } from '@parley/protocol'
import type { KeyStore } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import { findMessage } from './find-message.js'

/**
 * `entries` plus the chain members they lack, by seq; at most {@link MAX_REPORT_ENTRIES}
 * (the newest kept when a chain would exceed it).
 */
export async function withEditChains(store: KeyStore, conversationId: string, entries: StoredMessage[]): Promise<StoredMessage[]> {
  const bySeq = new Map(entries.map((m) => [m.seq, m]))
  const add = (m: StoredMessage | null) => {
    if (m && !bySeq.has(m.seq)) bySeq.set(m.seq, m)
  }
  for (const m of entries) {
    if (m.ref && (m.ref.kind === 'edit' || m.ref.kind === 'delete')) {
      const original = await findMessage(store, conversationId, m.ref.messageId)
      if (original) {
        add(original)
        for (const seq of original.editSeqs ?? []) add(await at(store, conversationId, seq))
        if (original.deleted) add(await at(store, conversationId, original.deleted.seq))
      }
    }
    for (const seq of m.editSeqs ?? []) add(await at(store, conversationId, seq))
    if (m.deleted) add(await at(store, conversationId, m.deleted.seq))
  }
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq).slice(-MAX_REPORT_ENTRIES)
}

async function at(store: KeyStore, conversationId: string, seq: number): Promise<StoredMessage | null> {
  return (await store.get(K.message(conversationId, seq))) as unknown as StoredMessage | null
}
