/**
 * Confirms the one-way upgrade to end-to-end encryption, showing what changes — the
 * capabilities of each mode come from the server's manifest, so the app never guesses.
 */
import { useState } from 'preact/hooks'
import type { PolicyManifest } from '@parley/protocol'
import { describeError } from './chat-model.js'
import { LockIcon } from './icons.js'
import { Modal } from './modal.js'

const CAPABILITY_LABEL: Record<string, string> = {
  serverModeration: 'Server content moderation',
  historyOnNewDevice: 'History on a new device',
  recoveryKeepsHistory: 'Account recovery keeps history',
  serverSearch: 'Server-side search',
  retention: 'Retention',
  serverIntegrationsRead: 'Bots and integrations read messages',
}

export function UpgradeDialog(props: { peer: string; manifest: PolicyManifest | null; upgrade: () => Promise<void>; onClose: () => void }) {
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const caps = props.manifest?.capabilities
  const run = async () => {
    setBusy(true)
    setError(null)
    try {
      await props.upgrade()
      props.onClose()
    } catch (e) {
      setError(describeError(e))
      setBusy(false)
    }
  }
  return (
    <Modal title="Upgrade to end-to-end encryption" onClose={props.onClose} testid="upgrade">
      <p>
        From now on only you and {props.peer} can read this conversation. The change is signed by your device, shown to {props.peer},
        and <strong>cannot be undone</strong> — not by either of you, and not by the server.
      </p>
      {caps ? (
        <table class="caps">
          <thead><tr><th></th><th>Now</th><th>After</th></tr></thead>
          <tbody>
            {Object.keys(caps['server-side']).map((k) => (
              <tr key={k}><td>{CAPABILITY_LABEL[k] ?? k}</td><td>{caps['server-side'][k]}</td><td>{caps.e2ee[k]}</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p class="muted">Reports still work: a report carries the messages you choose to share, and the server can prove they are genuine.</p>
      {error ? <p class="error-text" data-testid="upgrade-error">{error}</p> : null}
      <div class="actions">
        <button class="button" onClick={props.onClose}>Cancel</button>
        <button class="button primary" data-testid="upgrade-confirm" disabled={busy} onClick={run}>
          {busy ? 'Upgrading…' : <><LockIcon /> Upgrade</>}
        </button>
      </div>
    </Modal>
  )
}
