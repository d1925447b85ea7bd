/**
 * Sign-in: pick a demo user name (any name works; a second tab signs in as the peer), or link
 * this browser as a new device of a user signed in on another browser. The policy the server
 * runs is shown up front, in plain words.
 */
import { useState } from 'react'
import type { Policy } from '@parley/protocol'
import type { ServerInfo } from '../api.js'
import { LinkThisBrowser } from './link-this-browser.js'
import type { Session } from './session.js'

/** What each policy means, for people. */
export const POLICY_TEXT: Record<Policy, string> = {
  'server-side': 'Every conversation is readable by the server: moderation, search and history on new devices work as usual.',
  'optional-e2ee': 'Conversations start readable by the server; either person can upgrade one to end-to-end encryption, for good.',
  'default-e2ee': 'Every conversation is end-to-end encrypted: only the two devices can read it. Reports still reach moderators, verified.',
}

export function SignIn(props: {
  info: ServerInfo
  busy: boolean
  error: string | null
  onSignIn: (name: string) => void
  onLinked: (session: Session) => void
  /** Set when sign-in was refused because the user's identity lives on other devices. */
  elsewhere?: string | null
  /** Resets that user's identity (every old device revoked) and signs in with a new one. */
  onReset?: (userId: string) => void
}) {
  const [name, setName] = useState('')
  const [linking, setLinking] = useState(false)
  return (
    <main className="signin">
      <div className="card signin-card">
        <div className="brand big">Parley</div>
        <p className="muted">Direct messages with the encryption policy you choose.</p>
        <div className="policy-box" data-testid="signin-policy" data-policy={props.info.policy}>
          <span className="policy-chip">policy: {props.info.policy}</span>
          <p>{POLICY_TEXT[props.info.policy]}</p>
        </div>
        {linking ? (
          <LinkThisBrowser info={props.info} onLinked={props.onLinked} onCancel={() => setLinking(false)} />
        ) : (
          <>
            <form onSubmit={(e) => { e.preventDefault(); props.onSignIn(name) }}>
              <label className="field">
                <span>Sign in as</span>
                <input data-testid="signin-name" autoFocus placeholder="a demo user name, e.g. alice" value={name}
                  onChange={(e) => setName(e.target.value)} disabled={props.busy} />
              </label>
              <button className="button primary wide" data-testid="signin-submit" type="submit" disabled={props.busy || !name.trim()}>
                {props.busy ? 'Setting up keys…' : 'Sign in'}
              </button>
            </form>
            <div className="suggestions">
              {props.info.demoUsers.map((u) => (
                <button key={u} className="chip" data-testid={`signin-${u}`} disabled={props.busy} onClick={() => props.onSignIn(u)}>{u}</button>
              ))}
            </div>
            {props.error ? <p className="error-text" data-testid="signin-error">{props.error}</p> : null}
            {props.elsewhere && props.onReset ? (
              <div className="reset-box" data-testid="reset-box">
                <p className="small">Lost every device, with no backup? You can start over with a new identity. Your old devices are signed
                  out for good, your contacts are told your key changed, and <strong>old end-to-end encrypted messages cannot be recovered</strong>.</p>
                <button className="button danger wide" data-testid="reset-identity" disabled={props.busy} onClick={() => props.onReset!(props.elsewhere!)}>
                  Reset {props.elsewhere}’s identity and sign in here
                </button>
              </div>
            ) : null}
            <button className="button wide" data-testid="link-start" disabled={props.busy} onClick={() => setLinking(true)}>
              Link this browser to an account signed in elsewhere
            </button>
            <p className="muted small">Demo sign-in: no password. Open a second tab and sign in as someone else to chat with yourself.
              Try sending “{props.info.blockedWord}” to see moderation.</p>
          </>
        )}
      </div>
    </main>
  )
}
