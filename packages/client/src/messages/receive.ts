/**
 * Storing a checked message in the local log (docs/messages.md, decision 0021), for the inbox
 * and for this device's own acked sends: the id and commitment indexes, a reply's target
 * resolved by commitment, and an action applied to its target — in the caller's `changes`, so
 * everything lands in one key-store write.
 *
 * What the server could do with ids and commitments, and what is done about it:
 * - two messages under one id on this device: the second is refused (`message_conflict`);
 * - the same commitment again at another seq (a replayed action or message): stored as
 *   delivered, but the index keeps the first and a replayed action is not applied again — an
 *   O(1) check that replaces the per-target list of applied commitments, which grew without bound.
 */
import { MessageConflictError, type ParleyError } from '@parley/protocol'
import type { KeyStore } from '../key-store/key-store.js'
import type { StoredMessage } from '../store-layout.js'
import { applyAction, isAction, type Applied } from './apply-action.js'
import { ensureIndexed, indexTf, messageAtSeq, putMessage, resolveRef, seqOfId, seqOfTf, type Changes } from './find-message.js'
import { takeWaiting } from './pending-actions.js'

/** What storing did: a message (with a reply reference that did not resolve, `error`), or an applied action. */
export type Received = { message: StoredMessage; error?: ParleyError } | { action: StoredMessage; applied: Applied }

/**
 * Writes `m` into `changes` with its indexes, and applies it when it is an action.
 * @throws {MessageConflictError} this device holds another message under `m.id` (nothing written).
 */
export async function receiveMessage(store: KeyStore, changes: Changes, m: StoredMessage, now: number): Promise<Received> {
  await ensureIndexed(store, m.conversationId, changes)
  const heldId = await seqOfId(store, m.conversationId, m.id, changes)
  if (heldId !== null && heldId !== m.seq) {
    throw new MessageConflictError('a message arrived under an id this device already holds for another message; the stored one is kept', { conversationId: m.conversationId, seq: m.seq })
  }
  const heldTf = await seqOfTf(store, m.conversationId, m.tf, changes)
  const replay = heldTf !== null && heldTf !== m.seq
  let error: ParleyError | undefined
  if (m.ref?.kind === 'reply') {
    const r = await resolveRef(store, m.conversationId, m.ref, changes)
    // Shown pointing at the message this device holds with the franked commitment, under its id here.
    if ('target' in r && !isAction(r.target)) m = { ...m, replyTo: r.target.id }
    else if ('error' in r) error = r.error
  }
  putMessage(changes, m)
  if (!replay) indexTf(changes, m)
  if (!isAction(m)) {
    // Actions that arrived first (pending-actions.ts) apply now, in seq order; the message is
    // returned in its resulting state (edited, deleted, reacted to).
    if (!replay) {
      for (const seq of await takeWaiting(store, changes, m)) {
        const action = await messageAtSeq(store, m.conversationId, seq, changes)
        if (action && isAction(action) && action.ref?.tf === m.tf) await applyAction(store, action, changes, now)
      }
      m = (await messageAtSeq(store, m.conversationId, m.seq, changes)) ?? m
    }
    return error ? { message: m, error } : { message: m }
  }
  return { action: m, applied: replay ? { nothing: true } : await applyAction(store, m, changes, now) }
}
