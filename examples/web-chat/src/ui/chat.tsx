/**
 * The signed-in screen: the top bar (policy, connection, user, link a device, sign out),
 * notices and errors that concern no conversation — and, when a moderator suspended the
 * account or revoked this device, why the chat stopped — the conversation list and the open
 * conversation.
 */
import { useState } from 'react'
import { useParley } from '@parley/react'
import { noticeText } from '@parley/client'
import type { ServerInfo } from '../api.js'
import { ConversationPane } from './conversation-pane.js'
import { describeError, GOODBYE_TEXT } from './describe-error.js'
import { LinkDeviceDialog } from './link-device-dialog.js'
import { SafetyProvider, useSafetyState } from './safety-context.js'
import { Sidebar } from './sidebar.js'
import { useUnread } from './use-unread.js'

export function Chat(props: { info: ServerInfo; onSignOut: () => void }) {
  return <SafetyProvider><ChatScreen {...props} /></SafetyProvider>
}

function ChatScreen({ info, onSignOut }: { info: ServerInfo; onSignOut: () => void }) {
  const { connected, manifest, userId, notices, error, clearError } = useParley()
  const { goodbye } = useSafetyState()
  const [selected, setSelected] = useState<string | null>(null)
  const [linking, setLinking] = useState(false)
  const { unread, clear } = useUnread()
  const policy = manifest?.policy ?? info.policy
  const select = (id: string | null) => {
    setSelected(id)
    if (id) clear(id)
  }
  return (
    <div className={`shell${selected ? ' has-selection' : ''}`}>
      <header className="topbar">
        <span className="brand">Parley</span>
        <span className="policy-chip" data-testid="policy" data-policy={policy} title="Server encryption policy">policy: {policy}</span>
        <span className={`conn ${connected ? 'online' : 'offline'}`} data-testid="connection" data-connected={String(connected)}>
          {connected ? 'online' : goodbye ? 'disconnected' : 'reconnecting…'}
        </span>
        <span className="spacer" />
        <span className="me">signed in as <strong data-testid="me">{userId}</strong></span>
        <button className="button small" data-testid="link-device" onClick={() => setLinking(true)}>Link a device</button>
        <button className="button small" data-testid="sign-out" onClick={onSignOut}>Sign out</button>
      </header>
      {goodbye ? (
        <div className="account-banner" data-testid="account-banner" data-code={goodbye} role="alert">
          {GOODBYE_TEXT[goodbye]} <button className="button small" onClick={onSignOut}>Sign out</button>
        </div>
      ) : null}
      {notices.length || error ? (
        <div className="global-notices">
          {/* A code from the closed catalogue: the words are this app's, never the server's. */}
          {notices.map((n, i) => <p key={`${n.ts}-${i}`} data-testid="global-notice">{noticeText(n)}</p>)}
          {error ? (
            <p className="error-text" data-testid="global-error" role="alert">
              {describeError(error)} <button className="button small" onClick={clearError}>Dismiss</button>
            </p>
          ) : null}
        </div>
      ) : null}
      <div className="columns">
        <Sidebar info={info} selected={selected} unread={unread} onSelect={select} />
        {selected ? (
          <ConversationPane key={selected} conversationId={selected} onBack={() => select(null)} />
        ) : (
          <section className="pane empty-pane"><p className="muted">Pick a conversation, or start one with a demo user.</p></section>
        )}
      </div>
      {linking ? <LinkDeviceDialog onClose={() => setLinking(false)} /> : null}
    </div>
  )
}
