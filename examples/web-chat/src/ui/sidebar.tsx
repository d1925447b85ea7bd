/**
 * The conversation list: each conversation with its mode icon, last message and unread count,
 * plus "new conversation with …" (demo users suggested).
 */
import { useState } from 'preact/hooks'
import { NotFoundError } from '@parley/protocol'
import type { ChatModel, ConversationView } from './chat-model.js'
import { describeError } from './chat-model.js'
import { ModeBadge } from './mode-badge.js'

function lastLine(v: ConversationView): string {
  for (let i = v.items.length - 1; i >= 0; i--) {
    const item = v.items[i]!
    if (item.kind === 'message') return `${item.message.outgoing ? 'You: ' : ''}${item.message.text}`
    if (item.kind === 'notice') return item.text
  }
  return 'No messages yet'
}

export function Sidebar({ model, selected }: { model: ChatModel; selected: string | null }) {
  const [peer, setPeer] = useState('')
  const [error, setError] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  const open = async (name: string) => {
    const id = name.trim().toLowerCase()
    if (!id) return
    if (id === model.userId) return setError('Pick someone other than yourself.')
    setBusy(true)
    setError(null)
    try {
      await model.open(id)
      setPeer('')
    } catch (e) {
      setError(NotFoundError.isInstance(e) ? `${id} has not signed in yet: open another tab and sign in as ${id} first.` : describeError(e))
    } finally {
      setBusy(false)
    }
  }
  const suggestions = model.info.demoUsers.filter((u) => u !== model.userId && !model.conversations().some((c) => c.peer === u))
  const list = model.conversations()
  return (
    <aside class="sidebar">
      <form class="new-convo" onSubmit={(e) => { e.preventDefault(); void open(peer) }}>
        <input data-testid="new-peer" placeholder="New conversation with…" value={peer} onInput={(e) => setPeer((e.target as HTMLInputElement).value)} />
        <button class="button primary small" data-testid="new-submit" disabled={busy || !peer.trim()} type="submit">Start</button>
      </form>
      {suggestions.length ? (
        <div class="suggestions">
          {suggestions.map((u) => <button key={u} class="chip" data-testid={`suggest-${u}`} onClick={() => open(u)}>+ {u}</button>)}
        </div>
      ) : null}
      {error ? <p class="error-text small" data-testid="new-error">{error}</p> : null}
      <ul class="convo-list" data-testid="conversation-list">
        {list.length === 0 ? <li class="empty muted">No conversations yet.</li> : null}
        {list.map((v) => (
          <li key={v.id}>
            <button
              class={`convo-item${v.id === selected ? ' selected' : ''}`}
              data-testid="conversation-item"
              data-peer={v.peer}
              data-mode={v.encryption}
              onClick={() => model.select(v.id)}
            >
              <span class="avatar" aria-hidden="true">{v.peer.slice(0, 1).toUpperCase()}</span>
              <span class="convo-text">
                <span class="convo-top"><strong>{v.peer}</strong><ModeBadge mode={v.encryption} compact /></span>
                <span class="convo-last">{v.peerTyping ? 'typing…' : lastLine(v)}</span>
              </span>
              {v.unread ? <span class="unread" data-testid="unread">{v.unread}</span> : null}
            </button>
          </li>
        ))}
      </ul>
    </aside>
  )
}
