/**
 * Reports over edited and deleted messages (docs/messages.md, decision 0021): a report that
 * includes an edited message carries its whole edit chain — the original, every edit (each
 * franked at its own seq) and its tombstone — and an action or reply brings the message it
 * refers to (resolved by commitment) with that chain, so the server can verify each version, that every edit
 * and tombstone came from the original's author, and that a `deleted` entry has its tombstone.
 */
import { MAX_REPORT_ENTRIES } from '@parley/protocol'
import type { KeyStore } from '../key-store/key-store.js'
import type { StoredMessage } from '../store-layout.js'
import { indexLog, messageAtSeq, resolveRef } from './find-message.js'

/** The chain of `m`: the message itself, the message it refers to (an action or reply), that message's edits and tombstone. */
async function chainOf(store: KeyStore, conversationId: string, m: StoredMessage): Promise<Map<number, StoredMessage>> {
  const unit = new Map<number, StoredMessage>([[m.seq, m]])
  const add = (x: StoredMessage | null) => {
    if (x && !unit.has(x.seq)) unit.set(x.seq, x)
  }
  let original: StoredMessage | null = m
  if (m.ref) {
    const r = await resolveRef(store, conversationId, m.ref)
    original = 'target' in r ? r.target : null
  }
  if (original) {
    add(original)
    for (const seq of original.editSeqs ?? []) add(await messageAtSeq(store, conversationId, seq))
    if (original.deleted) add(await messageAtSeq(store, conversationId, original.deleted.seq))
  }
  return unit
}

/**
 * `entries` plus the chain members they lack, by seq, within {@link MAX_REPORT_ENTRIES}: whole
 * chains, newest entry first, so an old unrelated entry is left out before any part of a chain
 * (a chain is at most 1 + `MAX_EDITS_PER_MESSAGE` + 1 entries, so the newest always fits; only
 * a chain from before that bound could not, and then keeps its newest entries).
 */
export async function withEditChains(store: KeyStore, conversationId: string, entries: StoredMessage[]): Promise<StoredMessage[]> {
  await indexLog(store, conversationId)
  const chosen = new Map<number, StoredMessage>()
  for (const m of [...entries].sort((a, b) => b.seq - a.seq)) {
    if (chosen.has(m.seq)) continue
    const unit = await chainOf(store, conversationId, m)
    const missing = [...unit.values()].filter((x) => !chosen.has(x.seq))
    if (chosen.size + missing.length <= MAX_REPORT_ENTRIES) for (const x of missing) chosen.set(x.seq, x)
    else if (chosen.size === 0) for (const x of missing.sort((a, b) => b.seq - a.seq).slice(0, MAX_REPORT_ENTRIES)) chosen.set(x.seq, x)
  }
  return [...chosen.values()].sort((a, b) => a.seq - b.seq)
}
