/**
 * Confirms the one-way upgrade to end-to-end encryption, showing what changes — the
 * capabilities of each mode come from the server's manifest, so the app never guesses.
 */
import { useConversation, useParley } from '@parley/react'
import { describeError } from './describe-error.js'
import { LockIcon } from './icons.js'
import { Modal } from './modal.js'

const CAPABILITY_LABEL: Record<string, string> = {
  serverModeration: 'Server content moderation',
  historyOnNewDevice: 'History on a new device',
  recoveryKeepsHistory: 'Account recovery keeps history',
  serverSearch: 'Server-side search',
  retention: 'Retention',
  serverIntegrationsRead: 'Bots and integrations read messages',
  disappearingMessages: 'Disappearing messages',
  accountReset: 'Account reset without a backup',
}

export function UpgradeDialog(props: { conversationId: string; onClose: () => void }) {
  const { manifest } = useParley()
  const { conversation, peerUserId, upgrade, upgrading, upgradeError } = useConversation(props.conversationId)
  // A group: its members (an admin signs the upgrade; every member's device checks it).
  const who = conversation?.kind === 'group' ? 'the members of this group' : peerUserId
  const caps = manifest?.capabilities
  const run = () => upgrade().then(props.onClose, () => {}) // a failure shows as upgradeError
  return (
    <Modal title="Upgrade to end-to-end encryption" onClose={props.onClose} testid="upgrade">
      <p>
        From now on only you and {who} can read this conversation. The change is signed by your device, shown to {who},
        and <strong>cannot be undone</strong> — not by any of you, and not by the server.
      </p>
      {caps ? (
        <table className="caps">
          <thead><tr><th></th><th>Now</th><th>After</th></tr></thead>
          <tbody>
            {Object.keys(caps['server-side']).map((k) => (
              <tr key={k}><td>{CAPABILITY_LABEL[k] ?? k}</td><td>{String(caps['server-side'][k])}</td><td>{String(caps.e2ee[k])}</td></tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <p className="muted">Reports still work: a report carries the messages you choose to share, and the server can prove they are genuine.</p>
      {upgradeError ? <p className="error-text" data-testid="upgrade-error">{describeError(upgradeError)}</p> : null}
      <div className="actions">
        <button className="button" onClick={props.onClose}>Cancel</button>
        <button className="button primary" data-testid="upgrade-confirm" disabled={upgrading} onClick={() => void run()}>
          {upgrading ? 'Upgrading…' : <><LockIcon /> Upgrade</>}
        </button>
      </div>
    </Modal>
  )
}
