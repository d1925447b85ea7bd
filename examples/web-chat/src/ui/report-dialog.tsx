/**
 * The report dialog: shows exactly what will be sent — the last messages this device saw,
 * each of which the server will verify against its franking commitment — before sending.
 * What it says about the server follows each message's own mode: messages sent before an
 * upgrade were readable by the server; only end-to-end encrypted ones were never seen by it.
 */
import { useState } from 'react'
import type { Message } from '@parley/client'
import { useReport } from '@parley/react'
import { describeError } from './describe-error.js'
import { Modal } from './modal.js'

/** Reasons the dialog offers. */
export const REPORT_REASONS = ['Spam', 'Harassment', 'Threats or violence', 'Scam or fraud', 'Something else'] as const

/** What the dialog says about who has seen the messages it will send. */
export function visibilityText(preview: readonly Message[]): string {
  const e2ee = preview.filter((m) => m.encryption === 'e2ee').length
  if (preview.length > 0 && e2ee === preview.length) {
    return 'These messages are end-to-end encrypted: the server has never seen them. Sending this report shares them — and only them — with the moderators.'
  }
  if (e2ee > 0) {
    return `${e2ee} of these messages ${e2ee === 1 ? 'was' : 'were'} sent end-to-end encrypted: the server has never seen ${e2ee === 1 ? 'it' : 'them'}. ` +
      'The others were sent before the upgrade, when the server could read them. Sending this report shares all of them with the moderators, with proof that they are genuine.'
  }
  return 'These messages will be sent to the moderators with proof that they are genuine.'
}

export function ReportDialog(props: { conversationId: string; peer: string; onClose: () => void }) {
  const { preview, loading, submitting, result, error, submit } = useReport(props.conversationId)
  const [reason, setReason] = useState<string>(REPORT_REASONS[0])
  return (
    <Modal title={`Report conversation with ${props.peer}`} onClose={props.onClose} testid="report">
      {result ? (
        <div className="report-done" data-testid="report-result" data-verified={result.verifiedEntries} data-total={result.totalEntries}>
          <p className="big">Report sent</p>
          <p>
            The server verified {result.verifiedEntries} of {result.totalEntries} messages as genuine
            {result.duplicate ? ' (this report had already been received)' : ''}. A moderator will review it.
          </p>
          <div className="actions"><button className="button primary" onClick={props.onClose}>Done</button></div>
        </div>
      ) : (
        <>
          <label className="field">
            <span>Why are you reporting?</span>
            <select data-testid="report-reason" value={reason} onChange={(e) => setReason(e.target.value)}>
              {REPORT_REASONS.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          <p className="muted" data-testid="report-visibility">{visibilityText(preview)}</p>
          <h3 className="section-title">What will be sent ({preview.length} {preview.length === 1 ? 'message' : 'messages'})</h3>
          <ol className="report-preview" data-testid="report-preview">
            {preview.length === 0 ? <li className="muted">{loading ? 'Loading…' : 'No messages yet.'}</li> : null}
            {preview.map((m) => (
              <li key={m.clientMessageId ?? m.id} data-testid="report-preview-item" data-mode={m.encryption}>
                <span className="who">{m.outgoing ? 'You' : m.sender.userId}</span> <span>{m.text}</span>
              </li>
            ))}
          </ol>
          {error ? <p className="error-text" data-testid="report-error">{describeError(error)}</p> : null}
          <div className="actions">
            <button className="button" onClick={props.onClose}>Cancel</button>
            <button className="button danger" data-testid="report-submit" disabled={submitting || preview.length === 0} onClick={() => void submit(reason).catch(() => {})}>
              {submitting ? 'Sending…' : 'Send report'}
            </button>
          </div>
        </>
      )}
    </Modal>
  )
}
