/**
 * The new device's side of linking: name the account, show the one-time code, and wait for
 * the signed-in browser to type it (it sends this browser the account's identity key,
 * encrypted; the server sees only the code's hash).
 */
import { useEffect, useRef, useState } from 'react'
import { ParleyError } from '@parley/protocol'
import type { ServerInfo } from '../api.js'
import { describeError } from './describe-error.js'
import { link, type PendingLink, type Session } from './session.js'

const USER_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/

export function LinkThisBrowser(props: { info: ServerInfo; onLinked: (s: Session) => void; onCancel: () => void }) {
  const [name, setName] = useState('')
  const [pending, setPending] = useState<PendingLink | null>(null)
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const pendingRef = useRef<PendingLink | null>(null)
  useEffect(() => () => pendingRef.current?.cancel(), [])

  const start = async () => {
    const userId = name.trim().toLowerCase()
    if (!USER_PATTERN.test(userId)) return setError('Use 1–32 lowercase letters, digits, _ or -.')
    setBusy(true)
    setError(null)
    try {
      const p = await link(userId, props.info)
      pendingRef.current = p
      setPending(p)
      const session = await p.session
      pendingRef.current = null
      props.onLinked(session)
    } catch (e) {
      setPending(null)
      setError(ParleyError.is(e, 'forbidden') ? `This browser already holds a device of ${userId}: sign in instead.` : describeError(e))
    } finally {
      setBusy(false)
    }
  }

  if (pending) {
    return (
      <div className="link-box" data-testid="link-waiting">
        <p>On a browser where <strong>{name.trim().toLowerCase()}</strong> is signed in, choose <em>Link a device</em> and type:</p>
        <p className="link-code" data-testid="link-code">{pending.code}</p>
        <p className="muted small">Waiting for the other browser… The code works once.</p>
        <button className="button wide" onClick={() => { pending.cancel(); props.onCancel() }}>Cancel</button>
      </div>
    )
  }
  return (
    <form onSubmit={(e) => { e.preventDefault(); void start() }}>
      <label className="field">
        <span>Link this browser as a new device of</span>
        <input data-testid="link-name" autoFocus placeholder="the user name signed in elsewhere" value={name}
          onChange={(e) => setName(e.target.value)} disabled={busy} />
      </label>
      <button className="button primary wide" data-testid="link-request" type="submit" disabled={busy || !name.trim()}>
        {busy ? 'Asking…' : 'Show a link code'}
      </button>
      {error ? <p className="error-text" data-testid="link-error">{error}</p> : null}
      <button className="button wide" type="button" onClick={props.onCancel}>Back to sign-in</button>
    </form>
  )
}
