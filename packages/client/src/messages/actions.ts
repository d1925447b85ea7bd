/**
 * The message actions of `Conversation` (docs/messages.md): `edit`, `deleteForEveryone`,
 * `react` / `unreact`, and the reply reference of `send({ replyTo })`. Each is checked against
 * this device's log before anything is queued (typed errors, nothing stored on a refusal),
 * then sent through the outbox as its own franked, signed message naming its target by id and
 * by the target's franking commitment `tf` (decision 0021) — so content hooks,
 * franking, the E2EE fan-out of groups and the offline queue are the ones every send uses.
 */
import {
  ActionLimitError, EditWindowClosedError, MAX_EDITS_PER_MESSAGE, MAX_REACTION_ACTIONS_PER_USER, MAX_REACTIONS_PER_USER, NotYourMessageError, UnknownMessageError, type MessageRef, type SendResult,
} from '@parley/protocol'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { KeyStore } from '../key-store/key-store.js'
import { checkSendInput } from '../delivery/send-input.js'
import { K, type OutboxEntry, type StoredMessage } from '../store-layout.js'
import type { SendInput } from '../types.js'
import { isAction } from './apply-action.js'
import { checkEmoji } from './emoji.js'
import { findMessage, indexLog } from './find-message.js'

/** How long after sending a message its author may edit it, by default (15 minutes), in ms. */
export const DEFAULT_EDIT_WINDOW_MS = 15 * 60_000
/** Longest edit window a client accepts as an option (one year), in ms. */
export const MAX_EDIT_WINDOW_MS = 365 * 24 * 3_600_000

/** An action on a message, as `Conversation` asks for it. */
export type MessageAction =
  | { kind: 'edit'; messageId: string; text: string }
  | { kind: 'delete'; messageId: string }
  | { kind: 'react' | 'unreact'; messageId: string; emoji: string }

/** What the actions need from the client. */
export interface ActionHost {
  core: ClientCore
  enqueue(c: Conversation, input: SendInput, ref: MessageRef): Promise<SendResult>
  /** The `editWindowMs` option (validated with {@link editWindowOption}). */
  editWindowMs: number
}

/**
 * Validates the `editWindowMs` option. @throws {RangeError} not an integer in 0..MAX_EDIT_WINDOW_MS.
 */
export function editWindowOption(value: unknown): number {
  if (value === undefined) return DEFAULT_EDIT_WINDOW_MS
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_EDIT_WINDOW_MS) {
    throw new RangeError(`"editWindowMs" expected an integer 0..${MAX_EDIT_WINDOW_MS}, got ${String(value)}`)
  }
  return value
}

/**
 * The target of an action or reply: a message (not an action) in this device's log.
 * @throws {TypeError} a message id that is not a non-empty string.
 * @throws {UnknownMessageError} not in the log, an action, or (`live`) deleted for everyone.
 */
async function target(store: KeyStore, c: Conversation, messageId: unknown, live: boolean): Promise<StoredMessage> {
  if (typeof messageId !== 'string' || messageId.length === 0) throw new TypeError('"messageId" expected a non-empty string')
  await indexLog(store, c.id)
  const m = await findMessage(store, c.id, messageId)
  if (!m || isAction(m)) throw new UnknownMessageError(`message "${messageId}" is not in this device's log of the conversation`, { messageId })
  if (live && m.deleted) throw new UnknownMessageError(`message "${messageId}" was deleted for everyone`, { messageId })
  return m
}

/** The reference of a reply to `messageId`. @throws as {@link target}. */
export async function replyRef(store: KeyStore, c: Conversation, messageId: unknown): Promise<MessageRef> {
  const m = await target(store, c, messageId, true)
  return { kind: 'reply', messageId: m.id, tf: m.tf }
}

/**
 * The version the next edit (or the next reaction action of `userId`) on `m` takes: one past
 * the highest this device knows, its own queued ones included (decision 0021: receivers order
 * by it, not by arrival).
 */
async function nextVersion(store: KeyStore, m: StoredMessage, kind: 'edit' | 'reaction', userId: string): Promise<number> {
  let top = 0
  if (kind === 'edit') for (const [i, e] of (m.edits ?? []).entries()) top = Math.max(top, e.version ?? i + 1)
  else for (const v of Object.values(m.reactionVersions?.[userId] ?? {})) top = Math.max(top, v)
  const kinds = kind === 'edit' ? ['edit'] : ['react', 'unreact']
  for (const key of await store.keys(K.outboxPrefix)) {
    const q = (await store.get(key)) as unknown as OutboxEntry | null
    if (q?.ref && kinds.includes(q.ref.kind) && q.ref.tf === m.tf) top = Math.max(top, q.ref.version ?? 0)
  }
  return top + 1
}

/**
 * Runs one action. Resolves with the ack of the action's own message; a delete resolves once
 * the server also dropped the original's body (or ciphertext).
 * @throws {UnknownMessageError} @throws {NotYourMessageError} @throws {EditWindowClosedError}
 * @throws {ActionLimitError} (`MAX_EDITS_PER_MESSAGE`, `MAX_REACTIONS_PER_USER`) @throws {BadEmojiError} @throws {TypeError} / {RangeError} on bad input; and what `send()` throws.
 */
export async function runAction(host: ActionHost, c: Conversation, a: MessageAction): Promise<SendResult | void> {
  if (a === null || typeof a !== 'object') throw new TypeError('"action" expected an object')
  const self = host.core.self()
  if (a.kind === 'react' || a.kind === 'unreact') {
    const emoji = checkEmoji(a.emoji)
    const m = await target(host.core.store, c, a.messageId, true)
    const mine = m.reactions?.[self.userId] ?? []
    if (a.kind === 'react' && !mine.includes(emoji) && mine.length >= MAX_REACTIONS_PER_USER) {
      throw new ActionLimitError(`at most ${MAX_REACTIONS_PER_USER} reactions per user on one message`, { messageId: m.id, limit: 'reactions', max: MAX_REACTIONS_PER_USER })
    }
    const version = await nextVersion(host.core.store, m, 'reaction', self.userId)
    if (version > MAX_REACTION_ACTIONS_PER_USER) {
      throw new ActionLimitError(`at most ${MAX_REACTION_ACTIONS_PER_USER} reaction actions per user on one message`, { messageId: m.id, limit: 'reactions', max: MAX_REACTION_ACTIONS_PER_USER })
    }
    return host.enqueue(c, { text: emoji }, { kind: a.kind, messageId: m.id, tf: m.tf, version })
  }
  const m = await target(host.core.store, c, a.messageId, a.kind === 'edit')
  if (m.sender.userId !== self.userId) throw new NotYourMessageError(`message "${m.id}" was sent by another user`, { messageId: m.id, userId: m.sender.userId })
  if (a.kind === 'edit') {
    checkSendInput({ text: a.text })
    if (host.core.now() - m.ts > host.editWindowMs) {
      throw new EditWindowClosedError(`message "${m.id}" can no longer be edited (window ${host.editWindowMs} ms)`, { messageId: m.id, windowMs: host.editWindowMs })
    }
    const version = await nextVersion(host.core.store, m, 'edit', self.userId)
    if (version > MAX_EDITS_PER_MESSAGE || (m.edits?.length ?? 0) >= MAX_EDITS_PER_MESSAGE) {
      throw new ActionLimitError(`message "${m.id}" has reached ${MAX_EDITS_PER_MESSAGE} edits`, { messageId: m.id, limit: 'edits', max: MAX_EDITS_PER_MESSAGE })
    }
    return host.enqueue(c, { text: a.text }, { kind: 'edit', messageId: m.id, tf: m.tf, version })
  }
  // Delete: the signed tombstone first (every member's device hides the message on it), then
  // the server drops the body or ciphertext. A second call after a failed drop only retries it.
  if (!m.deleted) await host.enqueue(c, { text: '' }, { kind: 'delete', messageId: m.id, tf: m.tf })
  await host.core.whenReady()
  await host.core.conn.request('message.delete', { conversationId: c.id, messageId: m.id })
}
