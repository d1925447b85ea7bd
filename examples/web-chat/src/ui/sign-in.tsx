/**
 * Sign-in: pick a demo user name (any name works; a second tab signs in as the peer). The
 * policy the server runs is shown up front, in plain words.
 */
import { useState } from 'preact/hooks'
import type { Policy } from '@parley/protocol'
import type { ServerInfo } from '../api.js'

/** What each policy means, for people. */
export const POLICY_TEXT: Record<Policy, string> = {
  'server-side': 'Every conversation is readable by the server: moderation, search and history on new devices work as usual.',
  'optional-e2ee': 'Conversations start readable by the server; either person can upgrade one to end-to-end encryption, for good.',
  'default-e2ee': 'Every conversation is end-to-end encrypted: only the two devices can read it. Reports still reach moderators, verified.',
}

export function SignIn(props: { info: ServerInfo; busy: boolean; error: string | null; onSignIn: (name: string) => void }) {
  const [name, setName] = useState('')
  return (
    <main class="signin">
      <div class="card signin-card">
        <div class="brand big">Parley</div>
        <p class="muted">Direct messages with the encryption policy you choose.</p>
        <div class="policy-box" data-testid="signin-policy" data-policy={props.info.policy}>
          <span class="policy-chip">policy: {props.info.policy}</span>
          <p>{POLICY_TEXT[props.info.policy]}</p>
        </div>
        <form onSubmit={(e) => { e.preventDefault(); props.onSignIn(name) }}>
          <label class="field">
            <span>Sign in as</span>
            <input data-testid="signin-name" autoFocus placeholder="a demo user name, e.g. alice" value={name}
              onInput={(e) => setName((e.target as HTMLInputElement).value)} disabled={props.busy} />
          </label>
          <button class="button primary wide" data-testid="signin-submit" type="submit" disabled={props.busy || !name.trim()}>
            {props.busy ? 'Setting up keys…' : 'Sign in'}
          </button>
        </form>
        <div class="suggestions">
          {props.info.demoUsers.map((u) => (
            <button key={u} class="chip" data-testid={`signin-${u}`} disabled={props.busy} onClick={() => props.onSignIn(u)}>{u}</button>
          ))}
        </div>
        {props.error ? <p class="error-text" data-testid="signin-error">{props.error}</p> : null}
        <p class="muted small">Demo sign-in: no password. Open a second tab and sign in as someone else to chat with yourself.
          Try sending “{props.info.blockedWord}” to see moderation.</p>
      </div>
    </main>
  )
}
