/**
 * The report dialog: shows exactly what will be sent — the last messages this device saw,
 * each of which the server will verify against its franking commitment — before sending.
 * In an E2EE conversation this is the only way content ever leaves the two devices.
 */
import { useState } from 'preact/hooks'
import type { Message } from '@parley/client'
import type { EncryptionMode, ReportResult } from '@parley/protocol'
import { describeError } from './chat-model.js'
import { Modal } from './modal.js'

/** Reasons the dialog offers. */
export const REPORT_REASONS = ['Spam', 'Harassment', 'Threats or violence', 'Scam or fraud', 'Something else'] as const

export function ReportDialog(props: {
  peer: string
  encryption: EncryptionMode
  preview: Message[]
  send: (reason: string) => Promise<ReportResult>
  onClose: () => void
}) {
  const [reason, setReason] = useState<string>(REPORT_REASONS[0])
  const [busy, setBusy] = useState(false)
  const [result, setResult] = useState<ReportResult | null>(null)
  const [error, setError] = useState<string | null>(null)
  const submit = async () => {
    setBusy(true)
    setError(null)
    try {
      setResult(await props.send(reason))
    } catch (e) {
      setError(describeError(e))
    } finally {
      setBusy(false)
    }
  }
  return (
    <Modal title={`Report conversation with ${props.peer}`} onClose={props.onClose} testid="report">
      {result ? (
        <div class="report-done" data-testid="report-result" data-verified={result.verifiedEntries} data-total={result.totalEntries}>
          <p class="big">Report sent</p>
          <p>
            The server verified {result.verifiedEntries} of {result.totalEntries} messages as genuine
            {result.duplicate ? ' (this report had already been received)' : ''}. A moderator will review it.
          </p>
          <div class="actions"><button class="button primary" onClick={props.onClose}>Done</button></div>
        </div>
      ) : (
        <>
          <label class="field">
            <span>Why are you reporting?</span>
            <select data-testid="report-reason" value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)}>
              {REPORT_REASONS.map((r) => <option key={r} value={r}>{r}</option>)}
            </select>
          </label>
          <p class="muted">
            {props.encryption === 'e2ee'
              ? `This conversation is end-to-end encrypted: the server has never seen these messages. Sending this report shares them — and only them — with the moderators.`
              : 'These messages will be sent to the moderators with proof that they are genuine.'}
          </p>
          <h3 class="section-title">What will be sent ({props.preview.length} {props.preview.length === 1 ? 'message' : 'messages'})</h3>
          <ol class="report-preview" data-testid="report-preview">
            {props.preview.length === 0 ? <li class="muted">No messages yet.</li> : null}
            {props.preview.map((m) => (
              <li key={m.clientMessageId ?? m.id} data-testid="report-preview-item">
                <span class="who">{m.outgoing ? 'You' : m.sender.userId}</span> <span>{m.text}</span>
              </li>
            ))}
          </ol>
          {error ? <p class="error-text" data-testid="report-error">{error}</p> : null}
          <div class="actions">
            <button class="button" onClick={props.onClose}>Cancel</button>
            <button class="button danger" data-testid="report-submit" disabled={busy || props.preview.length === 0} onClick={submit}>
              {busy ? 'Sending…' : 'Send report'}
            </button>
          </div>
        </>
      )}
    </Modal>
  )
}
