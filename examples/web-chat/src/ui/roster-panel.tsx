/**
 * A group's roster beside its timeline: the verification state (the signed roster version and
 * head hash this device verified, or the roster error the client raised), the title, every
 * member with their role, and the admin actions — add, remove, make admin, rename — plus
 * leave for everyone. Each action is a signed roster record; the panel re-reads the verified
 * roster when the client applies it (`'members'`), so what it shows is what this device
 * verified, never what the server says. Refusals (not an admin, the last admin leaving, a
 * blocked invitee, the member limit) show inline.
 */
import { useState, type FormEvent } from 'react'
import type { Conversation } from '@parley/client'
import { useConversation, useParley } from '@parley/react'
import { describeError } from './describe-error.js'
import { rosterStatus } from './roster-status.js'
import { useRoster } from './use-roster.js'

/** Splits "bob, carol dave" into user ids. */
export const parseUserIds = (s: string) => [...new Set(s.split(/[\s,]+/).map((u) => u.trim().toLowerCase()).filter(Boolean))]

export function RosterPanel({ conversation }: { conversation: Conversation }) {
  const { userId } = useParley()
  const { errors } = useConversation(conversation)
  const roster = useRoster(conversation)
  const [adding, setAdding] = useState('')
  const [title, setTitle] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<string | null>(null)
  if (!roster) return null
  const status = rosterStatus({ rosterVersion: roster.version, rosterHead: roster.head }, errors)
  const me = roster.members.find((m) => m.userId === userId)
  const isAdmin = me?.role === 'admin'
  const run = async (f: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await f()
      return true
    } catch (e) {
      setError(describeError(e))
      return false
    } finally {
      setBusy(false)
    }
  }
  const add = async (e: FormEvent) => {
    e.preventDefault()
    const ids = parseUserIds(adding)
    if (ids.length && (await run(() => conversation.add(ids)))) setAdding('')
  }
  const rename = async (e: FormEvent) => {
    e.preventDefault()
    if (await run(() => conversation.setTitle(title.trim()))) setTitle('')
  }
  return (
    <aside className="roster" data-testid="roster" data-version={roster.version} data-member={String(me !== undefined)} data-admin={String(isAdmin)}>
      <div className={`roster-status roster-${status.state}`} data-testid="roster-status" data-state={status.state} data-code={status.state === 'error' ? status.code : ''}
        data-head={status.state === 'unverified' ? '' : status.head ?? ''} role={status.state === 'error' ? 'alert' : 'status'}>
        {status.state === 'verified' ? (
          <><strong>✓ Verified roster</strong> v{status.version} · <code title={status.head} data-testid="roster-head">{status.short}</code>
            <p className="muted small">Every change is signed by an admin&apos;s device and checked here; members who see the same code hold the same roster.</p></>
        ) : status.state === 'error' ? (
          <><strong>⚠ Roster problem</strong> <span data-testid="roster-error">{status.text}</span>
            <p className="small">This device keeps the roster it verified last (v{status.version}) and refuses what did not verify.</p></>
        ) : <strong>Verifying the roster…</strong>}
      </div>
      <h3 className="section-title" data-testid="roster-title">{roster.title || 'Untitled group'}</h3>
      {me || roster.version === 0 ? null : <p className="muted small" data-testid="roster-not-member">You are no longer a member of this group: nothing sent after that reaches you.</p>}
      <ul className="roster-members" data-testid="roster-members">
        {roster.members.map((m) => (
          <li key={m.userId} data-testid="roster-member" data-user={m.userId} data-role={m.role}>
            <span><strong>{m.userId}</strong>{m.userId === userId ? ' (you)' : ''} <span className="tag" data-testid="roster-role">{m.role}</span></span>
            {isAdmin && m.userId !== userId ? (
              <span className="roster-actions">
                <button className="button small" disabled={busy} data-testid="roster-role-toggle" onClick={() => void run(() => conversation.setRole(m.userId, m.role === 'admin' ? 'member' : 'admin'))}>
                  {m.role === 'admin' ? 'Make member' : 'Make admin'}
                </button>
                <button className="button small danger-outline" disabled={busy} data-testid="roster-remove" onClick={() => void run(() => conversation.remove([m.userId]))}>Remove</button>
              </span>
            ) : null}
          </li>
        ))}
      </ul>
      {isAdmin ? (
        <>
          <form className="roster-form" onSubmit={(e) => void add(e)}>
            <input data-testid="roster-add-input" placeholder="Add members (names)" value={adding} onChange={(e) => setAdding(e.target.value)} />
            <button className="button small" data-testid="roster-add" disabled={busy || !parseUserIds(adding).length} type="submit">Add</button>
          </form>
          <form className="roster-form" onSubmit={(e) => void rename(e)}>
            <input data-testid="roster-title-input" placeholder="New title" maxLength={200} value={title} onChange={(e) => setTitle(e.target.value)} />
            <button className="button small" data-testid="roster-rename" disabled={busy || !title.trim()} type="submit">Rename</button>
          </form>
        </>
      ) : null}
      {me ? <button className="button small danger-outline" data-testid="roster-leave" disabled={busy} onClick={() => void run(() => conversation.leave())}>Leave group</button> : null}
      {error ? <p className="error-text small" data-testid="roster-action-error" role="alert">{error}</p> : null}
    </aside>
  )
}
