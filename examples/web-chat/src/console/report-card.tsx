/**
 * One report in the queue: who reported what and why, the verified transcript (a badge per
 * entry, gaps and coverage in words), and the one-click actions — remove a message, suspend a
 * sender or revoke the device they sent from, close the conversation, resolve the report with
 * a resolution and a note. Every action takes the reason in the card's reason field
 * (pre-filled from the report).
 *
 * Only verified entries lead to an action on a user, a device or a message. An entry that
 * failed the franking check is the reporter's word alone — its sender, device, message id and
 * text may all be made up — so a forged entry must not put a one-click "Suspend <innocent>",
 * "Revoke" or "Remove" in front of the operator; its row says why it offers nothing.
 */
import { useState } from 'react'
import type { VerifiedReportEntry } from '@parley/protocol'
import type { ActionBodies, ActionName, QueueItem } from '../operator-api-types.js'
import { time } from './audit-log.js'
import { deviceKey, type InForce } from './moderation-state.js'
import { coverageTexts, entryBadge, verdictText } from './transcript-words.js'

/** Resolutions the console offers. */
export const RESOLUTIONS = ['action taken', 'no violation', 'duplicate'] as const

/** Why an unverified entry offers no action. */
export const NOT_ACTIONABLE = 'Not verified: its sender, message and text are only what the reporter claims, so the console offers no action on them.'

/** The users a report lets the operator act on: senders of verified entries, other than the reporter. */
export function actionableSenders(item: QueueItem): string[] {
  const verified = (item.report?.entries ?? []).filter((e) => e.verified)
  return [...new Set(verified.map((e) => e.sender.userId).filter((u) => u !== item.reporterUserId))]
}

/** The devices a report lets the operator revoke: those verified entries were sent from, other than the reporter's. */
export function actionableDevices(item: QueueItem): [string, VerifiedReportEntry['sender']][] {
  const verified = (item.report?.entries ?? []).filter((e) => e.verified && e.sender.userId !== item.reporterUserId)
  return [...new Map(verified.map((e) => [deviceKey(e.sender.userId, e.sender.deviceId), e.sender] as const)).entries()]
}

export type Act = <A extends ActionName>(name: A, body: ActionBodies[A]) => Promise<void>

function Entry(props: { e: VerifiedReportEntry; reporter: string; removed: boolean; busy: boolean; onRemove: () => void }) {
  const { e } = props
  const badge = entryBadge(e)
  return (
    <tr data-testid="report-entry" data-verified={String(e.verified)} data-message-id={e.messageId} data-removed={String(props.removed)}>
      <td className="num">#{e.seq}</td>
      <td>{e.sender.userId}{e.sender.userId === props.reporter ? <span className="muted small"> (reporter)</span> : null}</td>
      <td className="msg">{e.text}{e.attachments.length ? <em> +{e.attachments.length} attachment(s)</em> : null}</td>
      <td><span className={`pill ${badge.ok ? 'pill-ok' : 'pill-bad'}`} data-testid="entry-badge" title={badge.title}>{badge.label}</span></td>
      <td>
        {props.removed
          ? <span className="pill pill-neutral" data-testid="entry-removed">removed</span>
          : e.verified
            ? <button className="button small danger-outline" data-testid="remove-message" disabled={props.busy} onClick={props.onRemove}>Remove</button>
            : <span className="muted small" data-testid="entry-not-actionable" title={NOT_ACTIONABLE}>no action: unverified</span>}
      </td>
    </tr>
  )
}

export function ReportCard({ item, force, act }: { item: QueueItem; force: InForce; act: Act }) {
  const r = item.report
  const [reason, setReason] = useState(`report ${item.reportId}${r ? `: ${r.reason}` : ''}`)
  const [resolution, setResolution] = useState<string>(RESOLUTIONS[0])
  const [note, setNote] = useState('')
  const [busy, setBusy] = useState(false)
  const [error, setError] = useState<{ code: string; message: string } | null>(null)
  const run = async (f: () => Promise<void>) => {
    setBusy(true)
    setError(null)
    try {
      await f()
    } catch (e) {
      setError({ code: (e as { code?: string }).code ?? 'error', message: e instanceof Error ? e.message : String(e) })
    } finally {
      setBusy(false)
    }
  }
  const closed = force.closed.has(item.conversationId)
  const resolved = item.status === 'resolved'
  // The people the report is about, as far as it proves anything: senders of verified entries,
  // and the devices those entries were sent from.
  const senders = actionableSenders(item)
  const devices = actionableDevices(item)
  const unverifiedOnly = (r?.entries ?? []).filter((e) => !e.verified && e.sender.userId !== item.reporterUserId && !senders.includes(e.sender.userId))
  const words = r ? coverageTexts(r) : null
  return (
    <article className="card report" data-testid="report" data-report-id={item.reportId} data-reporter={item.reporterUserId} data-status={item.status} data-verified={String(r?.transcript.verified ?? false)}>
      <header className="report-head">
        <div>
          <strong>{item.reporterUserId}</strong> reported conversation <code>{item.conversationId}</code>
          {closed ? <span className="pill pill-neutral" data-testid="conversation-closed">closed</span> : null}
          <div className="muted">{time(item.receivedAt)} · reason: <span data-testid="report-reason">{r?.reason ?? '—'}</span></div>
        </div>
        <span className={`pill ${resolved ? 'pill-neutral' : 'pill-open'}`} data-testid="report-state">{resolved ? 'resolved' : 'open'}</span>
      </header>
      {r ? (
        <>
          <p className={`verdict ${r.transcript.verified ? 'ok' : 'bad'}`} data-testid="report-status" data-verified={String(r.transcript.verified)}>{verdictText(r)}</p>
          <ul className="coverage muted">
            {words!.gaps ? <li data-testid="report-gaps">{words!.gaps}</li> : null}
            {words!.order ? <li data-testid="report-order">{words!.order}</li> : null}
            <li data-testid={r.transcript.complete ? 'report-complete' : 'report-incomplete'}>{words!.coverage}</li>
          </ul>
          <table className="entries">
            <thead><tr><th>seq</th><th>sender</th><th>message</th><th>franking check</th><th /></tr></thead>
            <tbody>
              {r.entries.map((e) => (
                <Entry key={`${e.messageId}-${e.seq}`} e={e} reporter={item.reporterUserId} removed={force.removed.has(e.messageId)} busy={busy}
                  onRemove={() => void run(() => act('remove-message', { conversationId: item.conversationId, messageId: e.messageId, reason }))} />
              ))}
            </tbody>
          </table>
        </>
      ) : <p className="muted">The server no longer holds this report's transcript.</p>}
      <div className="actions-row">
        <label className="field inline"><span>Reason for actions</span>
          <input data-testid="action-reason" value={reason} maxLength={2000} onChange={(e) => setReason(e.target.value)} />
        </label>
        {senders.map((u) => force.suspended.has(u)
          ? <button key={u} className="button small" data-testid="unsuspend-user" data-user={u} disabled={busy} onClick={() => void run(() => act('unsuspend-user', { userId: u, reason }))}>Lift suspension of {u}</button>
          : <button key={u} className="button small danger" data-testid="suspend-user" data-user={u} disabled={busy} onClick={() => void run(() => act('suspend-user', { userId: u, reason }))}>Suspend {u}</button>)}
        {devices.map(([key, d]) => force.revoked.has(key)
          ? <span key={key} className="pill pill-neutral" data-testid="device-revoked" data-user={d.userId}>{d.userId}’s device revoked</span>
          : <button key={key} className="button small danger-outline" data-testid="revoke-device" data-user={d.userId} data-device={d.deviceId} disabled={busy}
            title={`Device ${d.deviceId}: disconnected and refused from now on; ${d.userId}'s other devices keep working`}
            onClick={() => void run(() => act('revoke-device', { userId: d.userId, deviceId: d.deviceId, reason }))}>Revoke {d.userId}’s device</button>)}
        {unverifiedOnly.length
          ? <span className="muted small" data-testid="unverified-senders">No suspension offered for {[...new Set(unverifiedOnly.map((e) => e.sender.userId))].join(', ')}: named only in entries that failed verification.</span>
          : null}
        <button className="button small danger-outline" data-testid="close-conversation" disabled={busy || closed} onClick={() => void run(() => act('close-conversation', { conversationId: item.conversationId, reason }))}>
          {closed ? 'Conversation closed' : 'Close conversation'}
        </button>
      </div>
      {resolved ? (
        <p className="resolution" data-testid="report-resolution">Resolved{item.resolvedBy ? ` by ${item.resolvedBy}` : ''}{item.resolvedAt ? ` at ${time(item.resolvedAt)}` : ''}: <strong>{item.resolution}</strong>{item.note ? ` — ${item.note}` : ''}</p>
      ) : (
        <div className="actions-row">
          <label className="field inline"><span>Resolution</span>
            <select data-testid="resolution" value={resolution} onChange={(e) => setResolution(e.target.value)}>
              {RESOLUTIONS.map((x) => <option key={x} value={x}>{x}</option>)}
            </select>
          </label>
          <label className="field inline grow"><span>Note (optional)</span>
            <input data-testid="resolve-note" value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
          </label>
          <button className="button small primary" data-testid="resolve-report" disabled={busy}
            onClick={() => void run(() => act('resolve-report', { reportId: item.reportId, reporterUserId: item.reporterUserId, resolution, ...(note.trim() ? { note } : {}) }))}>Resolve</button>
        </div>
      )}
      {error ? <p className="error-text" data-testid="action-error" data-code={error.code} role="alert">{error.message} [{error.code}]</p> : null}
    </article>
  )
}
