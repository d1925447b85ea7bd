/**
 * Receipts in conversations with disappearing messages (docs/messages.md, "Receipts"; decision
 * 0019): a receipt's log row expires with its target, never later. A receipt says only that a
 * message was stored or read — metadata of that message — so once the message is gone nothing
 * should say it existed. The row gets the target's expiry (`exp/` key, the one the sweep of
 * disappearing/timers.ts reads): the target's recorded expiry when there is one, else this
 * device's time plus the target's franked timer (the target is then logged but its expiry not
 * yet recorded, and will be recorded at or after this time, so the sweep scheduled for the
 * target picks the receipt up too). A receipt of a message without a timer stays as long as
 * that message. The receipt book keeps only seqs and server times, no content, and stays.
 */
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import type { StoredMessage } from '../store-layout.js'
import type { Changes } from '../messages/find-message.js'
import { expiryKey } from '../disappearing/timers.js'

const EXPIRY_PREFIX = 'exp/'

/** The time the target's recorded expiry falls due, or null when none is recorded. */
async function recordedExpiry(store: KeyStore, target: StoredMessage): Promise<number | null> {
  // Keys are `exp/<at>/<conversation>/<seq>`: the suffix of the target's, read only for a target with a timer.
  const suffix = expiryKey(0, target.conversationId, target.seq).slice(EXPIRY_PREFIX.length + 16)
  for (const key of await store.keys(EXPIRY_PREFIX)) {
    if (key.endsWith(suffix)) return Number(key.slice(EXPIRY_PREFIX.length, EXPIRY_PREFIX.length + 16))
  }
  return null
}

/** Adds to `changes` the expiry of the receipt `receipt` (stored at its seq) with its target `target`. */
export async function expireReceipt(store: KeyStore, changes: Changes, receipt: StoredMessage, target: StoredMessage, now: number): Promise<void> {
  if (target.timer === undefined) return
  const at = (await recordedExpiry(store, target)) ?? now + target.timer
  changes[expiryKey(at, receipt.conversationId, receipt.seq)] = { conversationId: receipt.conversationId, seq: receipt.seq, id: receipt.id } as JsonValue
}
