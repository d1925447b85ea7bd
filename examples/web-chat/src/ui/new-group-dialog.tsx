/**
 * "New group": a title and the members to invite (names, comma- or space-separated; the demo
 * users as chips). `client.conversations.create` signs the group's first roster record on this
 * device (its creator is the admin); the server's `canMessage` rule and blocks apply to every
 * invitee, and a refusal names who (shown inline).
 */
import { useState, type FormEvent } from 'react'
import { useParley } from '@parley/react'
import { describeError } from './describe-error.js'
import { Modal } from './modal.js'
import { parseUserIds } from './roster-panel.js'

export function NewGroupDialog(props: { demoUsers: readonly string[]; onCreated: (id: string) => void; onClose: () => void }) {
  const { client, userId } = useParley()
  const [title, setTitle] = useState('')
  const [members, setMembers] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  const ids = parseUserIds(members).filter((u) => u !== userId)
  const toggle = (u: string) => setMembers(ids.includes(u) ? ids.filter((x) => x !== u).join(', ') : [...ids, u].join(', '))
  const submit = async (e: FormEvent) => {
    e.preventDefault()
    if (!client || ids.length === 0) return
    setBusy(true)
    setError(null)
    try {
      const group = await client.conversations.create({ members: ids, title: title.trim() })
      props.onCreated(group.id)
    } catch (err) {
      setError(describeError(err))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal title="New group" onClose={props.onClose} testid="new-group">
      <form onSubmit={(e) => void submit(e)}>
        <p className="muted">You sign the group&apos;s first roster record and are its admin. Every member&apos;s device checks each change.</p>
        <input data-testid="group-title" placeholder="Title (optional)" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
        <input data-testid="group-members" placeholder="Members (names)" value={members} onChange={(e) => setMembers(e.target.value)} />
        <div className="suggestions">
          {props.demoUsers.filter((u) => u !== userId).map((u) => (
            <button key={u} type="button" className="chip" data-testid={`group-pick-${u}`} aria-pressed={ids.includes(u)} onClick={() => toggle(u)}>{ids.includes(u) ? '✓ ' : '+ '}{u}</button>
          ))}
        </div>
        {error ? <p className="error-text" data-testid="new-group-error" role="alert">{error}</p> : null}
        <div className="actions">
          <button className="button" type="button" onClick={props.onClose}>Cancel</button>
          <button className="button primary" data-testid="group-create" disabled={busy || ids.length === 0} type="submit">{busy ? 'Creating…' : 'Create group'}</button>
        </div>
      </form>
    </Modal>
  )
}
