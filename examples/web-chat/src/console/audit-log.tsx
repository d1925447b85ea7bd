/** The newest entries of the audit log, newest first: who did what, to what, when and why. */
import type { AuditEntry } from '@parley/server'

const ACTION_TEXT: Record<AuditEntry['action'], string> = {
  suspend_user: 'suspended user',
  unsuspend_user: 'lifted the suspension of',
  revoke_device: 'revoked a device of',
  close_conversation: 'closed conversation',
  remove_message: 'removed a message from',
  resolve_report: 'resolved report',
  disclosure_export: 'exported data for',
}

export function time(ts: number): string {
  return new Date(ts).toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC')
}

function details(d: AuditEntry['details']): string {
  return Object.entries(d).map(([k, v]) => `${k}: ${k === 'until' && typeof v === 'number' ? time(v) : String(v)}`).join(' · ')
}

export function AuditLog({ audit, total }: { audit: readonly AuditEntry[]; total: number }) {
  return (
    <section className="card audit" data-testid="audit-log" data-total={total}>
      <h2 className="section-title">Audit log</h2>
      {total > audit.length ? <p className="muted small" data-testid="audit-total">The newest {audit.length} of {total} actions.</p> : null}
      {audit.length === 0 ? <p className="muted" data-testid="audit-empty">No moderator actions yet.</p> : null}
      <ol className="audit-list">
        {audit.map((a) => (
          <li key={a.id} data-testid="audit-entry" data-action={a.action} data-target={a.target}>
            <div><strong>{a.actor}</strong> {ACTION_TEXT[a.action] ?? a.action} <code>{a.target}</code></div>
            <div className="muted small">{time(a.at)} · why: <span data-testid="audit-reason">{a.reason}</span>{Object.keys(a.details).length ? ` · ${details(a.details)}` : ''}</div>
          </li>
        ))}
      </ol>
    </section>
  )
}
