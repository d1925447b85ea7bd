/**
 * Receipts in conversations with disappearing messages (docs/messages.md, "Receipts"; decision
 * 0019): a receipt's log row expires with its target, never later. A receipt says only that a
 * message was stored or read — metadata of that message — so once the message is gone nothing
 * should say it existed. The row gets the target's expiry (`exp/` key, the one the sweep of
 * disappearing/timers.ts reads): the target's recorded expiry when there is one, else this
 * device's time plus the timer the target expires by — the shorter of its franked timer and
 * the setting pinned here (decision 0025: an untimed message from an older or modified client
 * logged under a pin expires by the pin, and so do its receipts). The target is then logged
 * but its expiry not yet recorded (same batch), and will be recorded at or after this time, so
 * the sweep scheduled for the target picks the receipt up too. A receipt of a message this
 * device logged before any timer may so leave the log before that message; its mark stays in
 * the receipt book, which keeps only seqs and server times, no content. A receipt of a message
 * without a timer in a conversation without one stays as long as that message. While a carried
 * pin of the conversation waits (decision 0025 §2) a receipt with no expiry waits with it, and
 * is given the settled setting's expiry as the untimed messages logged meanwhile are (timers.ts).
 */
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import type { StoredMessage } from '../store-layout.js'
import type { Changes } from '../messages/find-message.js'
import { effectiveTimer } from '../disappearing/timers.js'
import { expiryIndexKey, expiryKey, expiryWaitKey, recordedExpiry } from '../disappearing/expiry-keys.js'
import { pinnedTimer } from '../disappearing/message-timer.js'
import { carriedSetting } from '../disappearing/carried-pins.js'

/**
 * Adds to `changes` the expiry of the receipt `receipt` (stored at its seq) with its target `target`.
 * The target's recorded expiry is one direct read (review L2: never a scan of every `exp/` key).
 */
export async function expireReceipt(store: KeyStore, changes: Changes, receipt: StoredMessage, target: StoredMessage, now: number): Promise<void> {
  const recorded = await recordedExpiry(store, target.conversationId, target.seq)
  const ms = recorded === null ? effectiveTimer(target.timer, (await pinnedTimer(store, target.conversationId)) ?? null) : undefined
  const at = recorded ?? (ms === undefined ? null : now + ms)
  const entry = { conversationId: receipt.conversationId, seq: receipt.seq, id: receipt.id } as JsonValue
  if (at === null) {
    // A carried pin waits (decision 0025 §2): the receipt expires by it once it settles, as its target does.
    // The same well-formed test as timers.ts (review L7): a malformed pin settles at once and would leave the record.
    if ((await carriedSetting(store, target.conversationId)) !== null) changes[expiryWaitKey(receipt.conversationId, receipt.seq)] = entry
    return
  }
  changes[expiryKey(at, receipt.conversationId, receipt.seq)] = entry
  changes[expiryIndexKey(receipt.conversationId, receipt.seq)] = at
}
