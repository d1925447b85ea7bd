/**
 * The conversation list: each conversation with its mode icon, the last message really sent
 * or received (never a pending or refused one, never one a moderator removed), the unread
 * count (none while muted), plus "new conversation with …" (demo users suggested), the open
 * message requests above the list and the blocked users below it. A group shows its verified
 * title and member count; "New group" creates one (new-group-dialog.tsx).
 */
import { useState } from 'react'
import { NotFoundError } from '@parley/protocol'
import { useConversation, useConversations, useParley, useTyping, type ConversationSummary } from '@parley/react'
import type { ServerInfo } from '../api.js'
import { BlockedList } from './blocked-list.js'
import { describeError } from './describe-error.js'
import { NewGroupDialog } from './new-group-dialog.js'
import { ModeBadge } from './mode-badge.js'
import { RequestsSection } from './requests-section.js'
import { useSafetyState } from './safety-context.js'
import { removedMessageIds } from './timeline.js'
import { useRoster } from './use-roster.js'

function Preview({ summary }: { summary: ConversationSummary }) {
  const { peerTyping } = useTyping(summary.conversation)
  const { notices } = useConversation(summary.conversation)
  const m = summary.lastMessage
  const removed = m !== null && removedMessageIds(notices).has(m.id)
  const who = m?.outgoing ? 'You: ' : m && summary.conversation.kind === 'group' ? `${m.sender.userId}: ` : ''
  const text = peerTyping ? 'typing…' : removed ? 'Message removed by a moderator' : m ? `${who}${m.text}` : 'No messages yet'
  return <span className="convo-last" data-testid="conversation-preview">{text}</span>
}

/** A group's row: its verified title (the server's word is never shown) and member count. */
function GroupItem({ summary: c, selected, unread, onSelect }: { summary: ConversationSummary; selected: boolean; unread: number | undefined; onSelect: (id: string) => void }) {
  useRoster(c.conversation) // re-render on verified roster changes
  const title = c.conversation.title || 'Untitled group'
  return (
    <button className={`convo-item${selected ? ' selected' : ''}`} data-testid="conversation-item" data-kind="group" data-title={title} data-mode={c.encryption}
      data-members={c.conversation.members.length} data-muted={String(c.conversation.muted)} onClick={() => onSelect(c.id)}>
      <span className="avatar group" aria-hidden="true">#</span>
      <span className="convo-text">
        <span className="convo-top"><strong>{title}</strong><ModeBadge mode={c.encryption} compact /><span className="tag" data-testid="member-count">{c.conversation.members.length} members</span></span>
        <Preview summary={c} />
      </span>
      {unread && !c.conversation.muted ? <span className="unread" data-testid="unread">{unread}</span> : null}
    </button>
  )
}

export function Sidebar(props: { info: ServerInfo; selected: string | null; unread: Readonly<Record<string, number>>; onSelect: (id: string) => void }) {
  const { userId, client } = useParley()
  const { conversations: all, open } = useConversations()
  useSafetyState() // re-render on block, mute and request changes
  // Open requests (pending or declined) are listed under Requests, not here.
  const conversations = all.filter((c) => c.conversation.request === null)
  const [peer, setPeer] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const [grouping, setGrouping] = useState(false)
  const start = async (name: string) => {
    const id = name.trim().toLowerCase()
    if (!id) return
    if (id === userId) return setError('Pick someone other than yourself.')
    setBusy(true)
    setError(null)
    try {
      const convo = await open(id)
      setPeer('')
      props.onSelect(convo.id)
    } catch (e) {
      setError(NotFoundError.isInstance(e) ? `${id} has not signed in yet: open another tab and sign in as ${id} first.` : describeError(e))
    } finally {
      setBusy(false)
    }
  }
  const suggestions = props.info.demoUsers.filter((u) => u !== userId && !all.some((c) => c.conversation.kind === 'direct' && c.peerUserId === u))
  return (
    <aside className="sidebar">
      <form className="new-convo" onSubmit={(e) => { e.preventDefault(); void start(peer) }}>
        <input data-testid="new-peer" placeholder="New conversation with…" value={peer} onChange={(e) => setPeer(e.target.value)} />
        <button className="button primary small" data-testid="new-submit" disabled={busy || !peer.trim()} type="submit">Start</button>
      </form>
      <div className="suggestions">
        <button className="button small" data-testid="new-group" type="button" onClick={() => setGrouping(true)}># New group</button>
      </div>
      {grouping ? <NewGroupDialog demoUsers={props.info.demoUsers} onClose={() => setGrouping(false)} onCreated={(id) => { setGrouping(false); props.onSelect(id) }} /> : null}
      {suggestions.length ? (
        <div className="suggestions">
          {suggestions.map((u) => <button key={u} className="chip" data-testid={`suggest-${u}`} onClick={() => void start(u)}>+ {u}</button>)}
        </div>
      ) : null}
      {error ? <p className="error-text small" data-testid="new-error">{error}</p> : null}
      <RequestsSection summaries={all} selected={props.selected} onSelect={props.onSelect} />
      <ul className="convo-list" data-testid="conversation-list">
        {conversations.length === 0 ? <li className="empty muted">No conversations yet.</li> : null}
        {conversations.map((c) => c.conversation.kind === 'group' ? (
          <li key={c.id}><GroupItem summary={c} selected={c.id === props.selected} unread={props.unread[c.id]} onSelect={props.onSelect} /></li>
        ) : (
          <li key={c.id}>
            <button
              className={`convo-item${c.id === props.selected ? ' selected' : ''}`}
              data-testid="conversation-item"
              data-peer={c.peerUserId}
              data-mode={c.encryption}
              data-muted={String(c.conversation.muted)}
              data-blocked={String(client?.users.isBlocked(c.peerUserId) ?? false)}
              onClick={() => props.onSelect(c.id)}
            >
              <span className="avatar" aria-hidden="true">{c.peerUserId.slice(0, 1).toUpperCase()}</span>
              <span className="convo-text">
                <span className="convo-top">
                  <strong>{c.peerUserId}</strong><ModeBadge mode={c.encryption} compact />
                  {client?.users.isBlocked(c.peerUserId) ? <span className="tag" data-testid="blocked-tag">blocked</span> : null}
                  {c.conversation.muted ? <span className="tag" data-testid="muted-tag" title="Muted: no unread count">muted</span> : null}
                </span>
                <Preview summary={c} />
              </span>
              {props.unread[c.id] && !c.conversation.muted ? <span className="unread" data-testid="unread">{props.unread[c.id]}</span> : null}
            </button>
          </li>
        ))}
      </ul>
      <BlockedList />
    </aside>
  )
}
