/**
 * The app shell: loads `/api/info`, shows sign-in (or linking), then the two-column chat
 * (list + pane; one column at phone width) inside `ParleyProvider`. The signed-in name is kept
 * per tab (sessionStorage), so two tabs can be two users and a reload signs back in.
 */
import { useEffect, useState } from 'react'
import { ParleyError } from '@parley/protocol'
import { ParleyProvider } from '@parley/react'
import type { ServerInfo } from '../api.js'
import { Chat } from './chat.js'
import { describeError } from './describe-error.js'
import { resetAndSignIn, signIn, signOut, type Session } from './session.js'
import { SignIn } from './sign-in.js'

/** sessionStorage key of this tab's user. */
export const SESSION_USER_KEY = 'parley.demo.user'
const USER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/

export function App() {
  const [info, setInfo] = useState<ServerInfo | null>(null)
  const [session, setSession] = useState<Session | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  /** The user a sign-in was refused for because their identity lives on other devices (reset offered). */
  const [elsewhere, setElsewhere] = useState<string | null>(null)

  const enter = (s: Session) => {
    sessionStorage.setItem(SESSION_USER_KEY, s.userId)
    setSession(s)
  }

  const start = async (name: string, serverInfo = info) => {
    const userId = name.trim().toLowerCase()
    if (!serverInfo) return
    if (!USER_PATTERN.test(userId)) return setError('Use 1–32 lowercase letters, digits, _ or -.')
    setBusy(true)
    setError(null)
    setElsewhere(null)
    try {
      enter(await signIn(userId, serverInfo))
    } catch (e) {
      if (ParleyError.is(e, 'identity_changed')) setElsewhere(userId)
      setError(ParleyError.is(e, 'identity_changed')
        ? `${userId} is signed in on another browser. To use this one too, choose “Link this browser” below.`
        : describeError(e))
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
        if (saved) void start(saved, i)
      })
      .catch((e) => setError(`Cannot reach the server: ${describeError(e)}`))
    // Once, on load.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [])

  if (!info) return <main className="signin"><p className="muted">{error ?? 'Loading…'}</p></main>
  const reset = async (userId: string) => {
    setBusy(true)
    setError(null)
    try {
      enter(await resetAndSignIn(userId, info))
      setElsewhere(null)
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  if (!session) return <SignIn info={info} busy={busy} error={error} onSignIn={(n) => void start(n)} onLinked={enter} elsewhere={elsewhere} onReset={(u) => void reset(u)} />

  const leave = async () => {
    sessionStorage.removeItem(SESSION_USER_KEY)
    await signOut(session)
    setSession(null)
  }
  return (
    <ParleyProvider client={session.client} store={session.ui}>
      <Chat info={info} onSignOut={() => void leave()} />
    </ParleyProvider>
  )
}
