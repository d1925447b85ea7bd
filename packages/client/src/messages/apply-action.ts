/**
 * Receiving a message that carries a reference (docs/messages.md). Every such message is
 * signed by its sending device over its franking commitment; the signature is checked against
 * that device in the user's signed device list, so neither another member nor the server can
 * forge an edit, a tombstone, a reaction or a reply, or re-point one. An action (edit, delete,
 * react, unreact) is then applied to its target — resolved by the target's franking commitment
 * (decision 0021), so a server that gives two messages one id cannot re-point it — by what this
 * device holds: edits and tombstones only from the target's author, never on a deleted message,
 * edits in their franked version order and at most `MAX_EDITS_PER_MESSAGE`, at most
 * `MAX_REACTIONS_PER_USER` emoji per user. The action message itself stays in the log at its
 * seq, the evidence a report carries.
 */
import {
  ActionLimitError, BadEmojiError, InvalidSignatureError, MAX_EDITS_PER_MESSAGE, MAX_REACTIONS_PER_USER, MessageRefMismatchError, NotYourMessageError, UnknownMessageError,
  type DeviceAddress, type MessageRef, type ParleyError,
} from '@parley/protocol'
import { verifyMessageRef } from '@parley/crypto'
import type { KeyStore } from '../key-store/key-store.js'
import type { StoredMessage } from '../store-layout.js'
import { isEmoji } from './emoji.js'
import { holdForTarget } from './pending-actions.js'
import { keepEvidence, sweepEvidence } from './evidence.js'
import { messageAtSeq, putMessage, resolveRef, type Changes } from './find-message.js'
import { applyReceipt, isReceiptKind } from '../receipts/apply-receipt.js'
import type { Receipt } from '../receipts/types.js'

/** True for a message that acts on another (edit, delete, react, unreact): not shown as a message of its own. */
export const isAction = (m: { ref?: MessageRef | undefined }): boolean => m.ref !== undefined && m.ref.kind !== 'reply'

/**
 * Checks the sending device's signature of a reference-carrying message.
 * @throws {InvalidSignatureError} `what: 'message_ref'` when it is missing or does not verify.
 */
export async function verifyRef(
  signingKeyOf: (d: DeviceAddress) => Promise<string | undefined>, conversationId: string, sender: DeviceAddress, sig: string | undefined, tf: string,
): Promise<void> {
  const key = sig ? await signingKeyOf(sender) : undefined
  if (!sig || !key || !verifyMessageRef(sig, key, { conversationId, tf })) {
    throw new InvalidSignatureError('a message referring to another is not signed by its sending device', { what: 'message_ref' })
  }
}

/** What applying an action did: the target with its new state, or why it was not applied. */
export type Applied = { target: StoredMessage } | { error: ParleyError } | { nothing: true } | { receipt: Receipt }

/**
 * Applies `action` (already stored in `changes`) to its target — resolved by the target's
 * commitment (decision 0021), never by the server's id alone — writing the target's new state
 * into `changes`. Nothing is thrown: a refusal is returned, to be shown as an `'error'` event.
 * A replay of an action (the same commitment at another seq) never gets here (messages/receive.ts).
 */
export async function applyAction(store: KeyStore, action: StoredMessage, changes: Changes, now: number): Promise<Applied> {
  const ref = action.ref!
  if (isReceiptKind(ref.kind)) return applyReceipt(store, action, changes, now) // receipts/: marks, not a change of the target
  const resolved = await resolveRef(store, action.conversationId, ref, changes)
  // A target not held (yet): the action waits for it by commitment (pending-actions.ts); a
  // target from before this device never comes, and the action stays only as evidence.
  if ('missing' in resolved) {
    if (ref.tf !== undefined) holdForTarget(changes, action, ref.tf)
    return { nothing: true }
  }
  if ('error' in resolved) return resolved
  const found = resolved.target
  if (isAction(found)) return { error: new UnknownMessageError('an action refers to another action, not a message', { messageId: ref.messageId }) }
  const authorOnly = ref.kind === 'edit' || ref.kind === 'delete'
  if (authorOnly && found.sender.userId !== action.sender.userId) {
    return { error: new NotYourMessageError(`a ${ref.kind === 'edit' ? 'edit' : 'deletion'} of another user's message was refused`, { messageId: found.id, userId: action.sender.userId }) }
  }
  if (found.deleted) return { nothing: true }
  let t: StoredMessage = { ...found }
  delete t.applied
  switch (ref.kind) {
    case 'edit': {
      if (ref.version === undefined || ref.version > MAX_EDITS_PER_MESSAGE) return { error: new MessageRefMismatchError('an edit without a valid version was ignored', { messageId: found.id, reason: 'bad_version' }) }
      const edits = found.edits ?? []
      if (edits.length >= MAX_EDITS_PER_MESSAGE) {
        return { error: new ActionLimitError(`an edit beyond the ${MAX_EDITS_PER_MESSAGE} a message may have was ignored`, { messageId: found.id, limit: 'edits', max: MAX_EDITS_PER_MESSAGE }) }
      }
      // Chain order is the franked version (then tf), not the order the server delivered them in.
      const chain = edits.map((e, i) => ({ e, seq: found.editSeqs?.[i] ?? -1 }))
      chain.push({ e: { text: action.text, ts: action.ts, version: ref.version, tf: action.tf }, seq: action.seq })
      chain.sort((a, b) => (a.e.version ?? 0) - (b.e.version ?? 0) || ((a.e.tf ?? '') < (b.e.tf ?? '') ? -1 : (a.e.tf ?? '') > (b.e.tf ?? '') ? 1 : 0))
      t.edits = chain.map((x) => x.e)
      t.editSeqs = chain.map((x) => x.seq)
      break
    }
    case 'delete': {
      const deleted = { by: { ...action.sender }, at: action.ts, seq: action.seq }
      // Out of the UI and search, kept for reports for the evidence window (messages/evidence.ts).
      t = keepEvidence(changes, t, deleted, now)
      delete t.edits
      delete t.reactions
      delete t.reactionVersions
      // The edits carry earlier texts of the deleted message: they go the same way.
      for (const seq of found.editSeqs ?? []) {
        const edit = await messageAtSeq(store, found.conversationId, seq, changes)
        if (edit) putMessage(changes, keepEvidence(changes, edit, deleted, now))
      }
      await sweepEvidence(store, now, changes)
      break
    }
    case 'react':
    case 'unreact': {
      const emoji: string = action.text
      if (!isEmoji(emoji)) return { error: new BadEmojiError('a reaction that is not one emoji was ignored', { length: action.text.length }) }
      if (ref.version === undefined) return { error: new MessageRefMismatchError('a reaction without its number was ignored', { messageId: found.id, reason: 'bad_version' }) }
      // Franked order, not arrival: an older action on this emoji delivered after a newer one changes nothing.
      const clocks = { ...(found.reactionVersions?.[action.sender.userId] ?? {}) }
      if ((clocks[emoji] ?? 0) >= ref.version) return { nothing: true }
      const mine = new Set(found.reactions?.[action.sender.userId] ?? [])
      if (ref.kind === 'react' && !mine.has(emoji) && mine.size >= MAX_REACTIONS_PER_USER) {
        return { error: new ActionLimitError(`a reaction beyond the ${MAX_REACTIONS_PER_USER} one user may keep on a message was ignored`, { messageId: found.id, limit: 'reactions', max: MAX_REACTIONS_PER_USER }) }
      }
      // Bounded: versions are at most MAX_REACTION_ACTIONS_PER_USER, one emoji per version.
      clocks[emoji] = ref.version
      t.reactionVersions = { ...(found.reactionVersions ?? {}), [action.sender.userId]: clocks }
      if (ref.kind === 'react') mine.add(emoji)
      else mine.delete(emoji)
      const reactions = { ...(found.reactions ?? {}) }
      if (mine.size > 0) reactions[action.sender.userId] = [...mine]
      else delete reactions[action.sender.userId]
      t.reactions = reactions
      break
    }
    default:
      return { nothing: true }
  }
  putMessage(changes, t)
  return { target: t }
}
