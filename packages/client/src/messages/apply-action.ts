/**
 * Receiving a message that carries a reference (docs/messages.md). Every such message is
 * signed by its sending device over its franking commitment; the signature is checked against
 * that device in the user's signed device list, so neither another member nor the server can
 * forge an edit, a tombstone, a reaction or a reply, or re-point one. An action (edit, delete,
 * react, unreact) is then applied to its target in the local log by what this device holds:
 * edits and tombstones only from the target's author, never on a deleted message, each action
 * once (a replay of the same commitment changes nothing). The action message itself stays in
 * the log at its seq, the evidence a report carries.
 */
import {
  BadEmojiError, InvalidSignatureError, NotYourMessageError, UnknownMessageError, type DeviceAddress, type MessageRef, type ParleyError,
} from '@parley/protocol'
import { verifyMessageRef } from '@parley/crypto'
import type { KeyStore } from '../key-store/key-store.js'
import { K, type StoredMessage } from '../store-layout.js'
import { isEmoji } from './emoji.js'
import { findMessage, putMessage, type Changes } from './find-message.js'
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
 * Applies `action` (already stored in `changes`) to its target, writing the target's new state
 * into `changes`. Nothing is thrown: a refusal is returned, to be shown as an `'error'` event.
 */
export async function applyAction(store: KeyStore, action: StoredMessage, changes: Changes): Promise<Applied> {
  const ref = action.ref!
  if (isReceiptKind(ref.kind)) return applyReceipt(store, action, changes) // receipts/: marks, not a change of the target
  const found = await findMessage(store, action.conversationId, ref.messageId, changes)
  // A target from before this device (or withheld from it): the action is kept, nothing to apply.
  if (!found) return { nothing: true }
  if (isAction(found)) return { error: new UnknownMessageError('an action refers to another action, not a message', { messageId: ref.messageId }) }
  if (found.applied?.includes(action.tf)) return { nothing: true }
  const authorOnly = ref.kind === 'edit' || ref.kind === 'delete'
  if (authorOnly && found.sender.userId !== action.sender.userId) {
    return { error: new NotYourMessageError(`a ${ref.kind === 'edit' ? 'edit' : 'deletion'} of another user's message was refused`, { messageId: ref.messageId, userId: action.sender.userId }) }
  }
  if (found.deleted) return { nothing: true }
  const t: StoredMessage = { ...found, applied: [...(found.applied ?? []), action.tf] }
  switch (ref.kind) {
    case 'edit':
      t.edits = [...(found.edits ?? []), { text: action.text, ts: action.ts }]
      t.editSeqs = [...(found.editSeqs ?? []), action.seq]
      break
    case 'delete': {
      const deleted = { by: { ...action.sender }, at: action.ts, seq: action.seq }
      t.text = ''
      t.attachments = []
      t.deleted = deleted
      delete t.edits
      delete t.reactions
      // The edits carry earlier texts of the deleted message: they go too.
      for (const seq of found.editSeqs ?? []) {
        const edit = await findAtSeq(store, changes, found.conversationId, seq)
        if (edit) putMessage(changes, { ...edit, text: '', deleted })
      }
      break
    }
    case 'react':
    case 'unreact': {
      const emoji: string = action.text
      if (!isEmoji(emoji)) return { error: new BadEmojiError('a reaction that is not one emoji was ignored', { length: action.text.length }) }
      const mine = new Set(found.reactions?.[action.sender.userId] ?? [])
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

async function findAtSeq(store: KeyStore, changes: Changes, conversationId: string, seq: number): Promise<StoredMessage | null> {
  const key = K.message(conversationId, seq)
  return key in changes ? (changes[key] as unknown as StoredMessage | null) : ((await store.get(key)) as unknown as StoredMessage | null)
}
