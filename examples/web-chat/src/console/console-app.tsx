/**
 * The operator console: the report queue (open, resolved or all; a page at a time, with totals)
 * with verified transcripts and one-click actions, and the newest audit entries beside it — all
 * kept live by the server's event stream.
 */
import { useCallback, useState } from 'react'
import type { ActionBodies, ActionName, ConsoleState, QueueShow } from '../operator-api-types.js'
import { act as callAction } from './api.js'
import { AuditLog } from './audit-log.js'
import { inForce } from './moderation-state.js'
import { ReportCard } from './report-card.js'
import { useConsoleState } from './use-console-state.js'

/** "12", or "1000+" when the API lists no more. */
function count(n: number, capped: boolean): string {
  return `${n}${capped ? '+' : ''}`
}

function Pager({ state, setPage }: { state: ConsoleState; setPage: (page: number) => void }) {
  const pages = Math.max(1, Math.ceil(state.total / state.pageSize))
  if (pages === 1 && state.page === 0) return null
  const first = state.page * state.pageSize + 1
  const last = state.page * state.pageSize + state.queue.length
  return (
    <div className="pager muted" data-testid="queue-pager" data-page={state.page}>
      <button className="button small" data-testid="page-newer" disabled={state.page === 0} onClick={() => setPage(state.page - 1)}>← newer</button>
      <span data-testid="page-range">{state.queue.length ? `${first}–${last}` : 'none'} of {count(state.total, state.totalCapped)}</span>
      <button className="button small" data-testid="page-older" disabled={state.page + 1 >= pages} onClick={() => setPage(state.page + 1)}>older →</button>
    </div>
  )
}

export function ConsoleApp() {
  const [view, setView] = useState<{ show: QueueShow; page: number }>({ show: 'open', page: 0 })
  const { state, error, live, refresh } = useConsoleState(view)
  const act = useCallback(async <A extends ActionName>(name: A, body: ActionBodies[A]) => {
    await callAction(name, body)
    // The event stream will say so too; reading now keeps this console current even without it.
    await refresh()
  }, [refresh])
  if (!state) return <p className="muted" data-testid="console-loading">{error ?? 'Loading…'}</p>
  const force = inForce(state.force, Date.now())
  const open = state.openTotal
  return (
    <div className="console" data-testid="console">
      <div className="console-bar">
        <span className={`conn ${live ? 'online' : 'offline'}`} data-testid="console-live" data-live={String(live)}>{live ? 'live' : 'reconnecting…'}</span>
        <span className="muted" data-testid="open-count" data-count={open}>{count(open, state.openTotalCapped)} open report{open === 1 ? '' : 's'}</span>
        <span className="spacer" />
        {(['open', 'resolved', 'all'] as const).map((s) => (
          <button key={s} className={`chip${view.show === s ? ' selected' : ''}`} data-testid={`show-${s}`} aria-pressed={view.show === s} onClick={() => setView({ show: s, page: 0 })}>{s}</button>
        ))}
      </div>
      {error ? <p className="error-text" data-testid="console-error">{error}</p> : null}
      <div className="console-columns">
        <section className="queue" data-testid="report-queue">
          {state.show !== view.show || state.page !== view.page ? <p className="muted" data-testid="queue-loading">Loading…</p> : null}
          {state.queue.length === 0
            ? <p className="empty card" data-testid="no-reports">{state.show === 'open' ? 'No open reports. Use “Report” in a conversation to send one.' : 'Nothing here.'}</p>
            : state.queue.map((item) => <ReportCard key={`${item.reporterUserId}/${item.reportId}`} item={item} force={force} act={act} />)}
          <Pager state={state} setPage={(page) => setView({ show: view.show, page })} />
        </section>
        <AuditLog audit={state.audit} total={state.auditTotal} />
      </div>
    </div>
  )
}
