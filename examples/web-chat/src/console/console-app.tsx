/**
 * The operator console: the report queue (open first, then resolved) with verified transcripts
 * and one-click actions, and the audit log beside it — all kept live by the server's event
 * stream.
 */
import { useCallback, useState } from 'react'
import type { ActionBodies, ActionName } from '../operator-api-types.js'
import { act as callAction } from './api.js'
import { AuditLog } from './audit-log.js'
import { inForce } from './moderation-state.js'
import { ReportCard } from './report-card.js'
import { useConsoleState } from './use-console-state.js'

export function ConsoleApp() {
  const { state, error, live, refresh } = useConsoleState()
  const [show, setShow] = useState<'open' | 'resolved' | 'all'>('open')
  const act = useCallback(async <A extends ActionName>(name: A, body: ActionBodies[A]) => {
    await callAction(name, body)
    // The event stream will say so too; reading now keeps this console current even without it.
    await refresh()
  }, [refresh])
  if (!state) return <p className="muted" data-testid="console-loading">{error ?? 'Loading…'}</p>
  const force = inForce(state.audit, Date.now())
  const queue = state.queue.filter((q) => show === 'all' || q.status === show)
  const open = state.queue.filter((q) => q.status === 'open').length
  return (
    <div className="console" data-testid="console">
      <div className="console-bar">
        <span className={`conn ${live ? 'online' : 'offline'}`} data-testid="console-live" data-live={String(live)}>{live ? 'live' : 'reconnecting…'}</span>
        <span className="muted" data-testid="open-count" data-count={open}>{open} open report{open === 1 ? '' : 's'}</span>
        <span className="spacer" />
        {(['open', 'resolved', 'all'] as const).map((s) => (
          <button key={s} className={`chip${show === s ? ' selected' : ''}`} data-testid={`show-${s}`} aria-pressed={show === s} onClick={() => setShow(s)}>{s}</button>
        ))}
      </div>
      {error ? <p className="error-text" data-testid="console-error">{error}</p> : null}
      <div className="console-columns">
        <section className="queue" data-testid="report-queue">
          {queue.length === 0
            ? <p className="empty card" data-testid="no-reports">{show === 'open' ? 'No open reports. Use “Report” in a conversation to send one.' : 'Nothing here.'}</p>
            : queue.map((item) => <ReportCard key={`${item.reporterUserId}/${item.reportId}`} item={item} force={force} act={act} />)}
        </section>
        <AuditLog audit={state.audit} />
      </div>
    </div>
  )
}
