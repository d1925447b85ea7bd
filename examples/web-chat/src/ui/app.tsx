/**
 * The app shell: loads `/api/info`, shows sign-in, then the two-column chat (list + pane;
 * one column at phone width). The signed-in name is kept per tab (sessionStorage), so two
 * tabs can be two users.
 */
import { useEffect, useState } from 'preact/hooks'
import type { ServerInfo } from '../api.js'
import { ChatModel, describeError } from './chat-model.js'
import { ConversationPane } from './conversation-pane.js'
import { Sidebar } from './sidebar.js'
import { SignIn } from './sign-in.js'

/** sessionStorage key of this tab's user. */
export const SESSION_USER_KEY = 'parley.demo.user'
const USER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/

function useModel(model: ChatModel | null): void {
  const [, setVersion] = useState(0)
  useEffect(() => model?.subscribe(() => setVersion(model.version)), [model])
}

export function App() {
  const [info, setInfo] = useState<ServerInfo | null>(null)
  const [model, setModel] = useState<ChatModel | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  useModel(model)

  const signIn = async (name: string, serverInfo = info) => {
    const userId = name.trim().toLowerCase()
    if (!serverInfo) return
    if (!USER_PATTERN.test(userId)) return setError('Use 1–32 lowercase letters, digits, _ or -.')
    setBusy(true)
    setError(null)
    try {
      const m = await ChatModel.signIn(userId, serverInfo)
      sessionStorage.setItem(SESSION_USER_KEY, userId)
      setModel(m)
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }

  useEffect(() => {
    fetch('/api/info')
      .then((r) => r.json() as Promise<ServerInfo>)
      .then((i) => {
        setInfo(i)
        const saved = sessionStorage.getItem(SESSION_USER_KEY)
        if (saved) void signIn(saved, i)
      })
      .catch((e) => setError(`Cannot reach the server: ${describeError(e)}`))
  }, [])

  if (!info) return <main class="signin"><p class="muted">{error ?? 'Loading…'}</p></main>
  if (!model) return <SignIn info={info} busy={busy} error={error} onSignIn={(n) => void signIn(n)} />

  const signOut = async () => {
    sessionStorage.removeItem(SESSION_USER_KEY)
    await model.signOut()
    setModel(null)
  }
  const view = model.view(model.selectedId)
  return (
    <div class={`shell${view ? ' has-selection' : ''}`}>
      <header class="topbar">
        <span class="brand">Parley</span>
        <span class="policy-chip" data-testid="policy" data-policy={model.policy} title="Server encryption policy">policy: {model.policy}</span>
        <span class={`conn ${model.connected ? 'online' : 'offline'}`} data-testid="connection" data-connected={String(model.connected)}>
          {model.connected ? 'online' : 'reconnecting…'}
        </span>
        <span class="spacer" />
        <span class="me">signed in as <strong data-testid="me">{model.userId}</strong></span>
        <button class="button small" data-testid="sign-out" onClick={signOut}>Sign out</button>
      </header>
      {model.globalNotices.length ? (
        <div class="global-notices">
          {model.globalNotices.map((n) => <p key={n.key} data-testid="global-notice">{n.text}</p>)}
        </div>
      ) : null}
      <div class="columns">
        <Sidebar model={model} selected={model.selectedId} />
        {view ? (
          <ConversationPane model={model} view={view} onBack={() => model.select(null)} />
        ) : (
          <section class="pane empty-pane"><p class="muted">Pick a conversation, or start one with a demo user.</p></section>
        )}
      </div>
    </div>
  )
}
