/**
 * The "Requests" section of the conversation list: first contacts from people who are not this
 * user's contacts (the server's `canMessage` rule said `'request'`), each with accept, decline,
 * block and report. Opening one shows the conversation with the same answers on top.
 */
import { useState } from 'react'
import type { MessageRequest } from '@parley/client'
import type { ConversationSummary } from '@parley/react'
import { ReportDialog } from './report-dialog.js'
import { useRequestAction } from './request-banner.js'
import { useSafetyState } from './safety-context.js'

function RequestItem(props: { request: MessageRequest; summary: ConversationSummary | undefined; selected: boolean; onSelect: () => void; onReport: () => void }) {
  const { request } = props
  const { busy, error, run } = useRequestAction()
  const last = props.summary?.lastMessage
  return (
    <li className={`request-item${props.selected ? ' selected' : ''}`} data-testid="request-item" data-peer={request.userId}>
      <button className="request-open" data-testid="request-open" onClick={props.onSelect}>
        <span className="avatar" aria-hidden="true">{request.userId.slice(0, 1).toUpperCase()}</span>
        <span className="convo-text">
          <strong>{request.userId}</strong>
          {/* Text only: a request shows no link previews or attachments. */}
          <span className="convo-last" data-testid="request-preview">{last ? last.text : 'wants to message you'}</span>
        </span>
      </button>
      <div className="request-actions">
        <button className="button primary small" data-testid="request-accept" disabled={busy} onClick={() => void run(() => request.accept())}>Accept</button>
        <button className="button small" data-testid="request-decline" disabled={busy} onClick={() => void run(() => request.decline())}>Decline</button>
        <button className="button small danger-outline" data-testid="request-block" disabled={busy} onClick={() => void run(() => request.block())}>Block</button>
        <button className="button small danger-outline" data-testid="request-report" disabled={busy} onClick={props.onReport}>Report</button>
      </div>
      {error ? <p className="error-text small" data-testid="request-error">{error}</p> : null}
    </li>
  )
}

export function RequestsSection(props: { summaries: readonly ConversationSummary[]; selected: string | null; onSelect: (id: string) => void }) {
  const { requests } = useSafetyState()
  const [reporting, setReporting] = useState<MessageRequest | null>(null)
  if (requests.length === 0) return null
  return (
    <section className="requests" data-testid="requests" data-count={requests.length}>
      <h3 className="section-title">Requests ({requests.length})</h3>
      <ul className="request-list">
        {requests.map((r) => (
          <RequestItem key={r.conversationId} request={r} summary={props.summaries.find((s) => s.id === r.conversationId)}
            selected={props.selected === r.conversationId} onSelect={() => props.onSelect(r.conversationId)} onReport={() => setReporting(r)} />
        ))}
      </ul>
      {/* Reporting a request is reporting its conversation: the same verified report. */}
      {reporting ? <ReportDialog conversationId={reporting.conversationId} peer={reporting.userId} onClose={() => setReporting(null)} /> : null}
    </section>
  )
}
