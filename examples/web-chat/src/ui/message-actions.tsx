/**
 * Edit, delete for everyone, reactions and replies in the chat (docs/messages.md): what a
 * message row shows of them (the quoted message it replies to, "edited", who deleted it, the
 * reaction chips) and the row's actions (react 👍, reply, and on one's own messages edit and
 * delete). Every action goes through the client's API, so it is franked, signed and moderated
 * like a send; a refusal (the edit window, a blocked word) is shown on the row.
 */
import { useState } from 'react'
import type { Conversation, Message } from '@parley/client'
import type { MessageView } from '@parley/react'
import { describeError } from './describe-error.js'

/** The reaction the row's quick button toggles. */
export const QUICK_REACTION = '👍'

/** The quote, edit mark, tombstone and reactions of a message. */
export function MessageDecorations({ m, rows }: { m: Message; rows: readonly MessageView[] }) {
  const quoted = m.replyTo ? rows.find((r) => r.message.id === m.replyTo)?.message : undefined
  const reactions = Object.entries(m.reactions ?? {})
  return (
    <>
      {m.replyTo ? (
        <span className="reply-quote" data-testid="reply-quote" data-reply-to={m.replyTo}>
          ↪ {quoted ? (quoted.deleted ? 'a deleted message' : quoted.text) : 'an earlier message'}
        </span>
      ) : null}
      {m.deleted ? <span className="deleted" data-testid="message-deleted">Deleted by {m.deleted.by.userId}</span> : null}
      {m.editedAt !== undefined && !m.deleted ? <span className="edited" data-testid="message-edited" title={`Earlier: ${(m.versions ?? []).map((v) => v.text).join(' → ')}`}>(edited)</span> : null}
      {reactions.length > 0 ? (
        <span className="reactions" data-testid="reactions">
          {reactions.map(([emoji, users]) => <span key={emoji} className="reaction" data-emoji={emoji} title={users.join(', ')}>{emoji} {users.length}</span>)}
        </span>
      ) : null}
    </>
  )
}

/** The actions of one stored message: react, reply, and edit / delete on one's own. */
export function MessageMenu({ m, conversation, selfUserId, onReply }: { m: Message; conversation: Conversation; selfUserId: string; onReply: (m: Message) => void }) {
  const [error, setError] = useState<string | null>(null)
  if (m.deleted || m.status === 'pending') return null
  const run = (p: Promise<unknown>) => {
    setError(null)
    p.catch((e: unknown) => setError(describeError(e)))
  }
  const mine = m.reactions?.[QUICK_REACTION]?.includes(selfUserId) ?? false
  return (
    <span className="message-menu" data-testid="message-menu">
      <button className="link-button" data-testid="react-button" aria-pressed={mine} onClick={() => run(mine ? conversation.unreact(m.id, QUICK_REACTION) : conversation.react(m.id, QUICK_REACTION))}>{QUICK_REACTION}</button>
      <button className="link-button" data-testid="reply-button" onClick={() => onReply(m)}>Reply</button>
      {m.outgoing ? (
        <>
          <button className="link-button" data-testid="edit-button" onClick={() => {
            const text = window.prompt('Edit message', m.text)
            if (text !== null && text.trim() && text !== m.text) run(conversation.edit(m.id, { text: text.trim() }))
          }}>Edit</button>
          <button className="link-button" data-testid="delete-button" onClick={() => {
            if (window.confirm('Delete this message for everyone?')) run(conversation.deleteForEveryone(m.id))
          }}>Delete</button>
        </>
      ) : null}
      {error ? <span className="action-error" data-testid="action-error" role="alert">{error}</span> : null}
    </span>
  )
}
