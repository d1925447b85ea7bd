/**
 * The open conversation: a header with the peer, the real-mode badge and the actions
 * (upgrade, verify, report), the timeline (messages with receipts, notices, errors, typing)
 * and the composer with its inline send error.
 */
import { useEffect, useRef, useState } from 'preact/hooks'
import type { ChatModel, ConversationView, DeliveryState, TimelineItem } from './chat-model.js'
import { AlertIcon, ClockIcon, LockIcon } from './icons.js'
import { ModeBadge, modeExplanation } from './mode-badge.js'
import { ReportDialog } from './report-dialog.js'
import { SafetyDialog } from './safety-dialog.js'
import { UpgradeDialog } from './upgrade-dialog.js'

const DELIVERY_MARK: Record<DeliveryState, { mark: string | null; label: string }> = {
  pending: { mark: null, label: 'Sending' },
  sent: { mark: '✓', label: 'Sent' },
  delivered: { mark: '✓✓', label: 'Delivered' },
  read: { mark: '✓✓', label: 'Read' },
  failed: { mark: '!', label: 'Not sent' },
}

function clock(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

function Row({ item }: { item: TimelineItem }) {
  if (item.kind === 'notice') {
    return <li class={`notice notice-${item.noticeKind}`} data-testid="notice" data-kind={item.noticeKind}>{item.text}</li>
  }
  if (item.kind === 'error') {
    return <li class="notice notice-error" data-testid="timeline-error" role="alert"><AlertIcon /> {item.text}</li>
  }
  const m = item.message
  const d = DELIVERY_MARK[item.delivery]
  return (
    <li
      class={`message ${m.outgoing ? 'out' : 'in'}${item.delivery === 'failed' ? ' failed' : ''}`}
      data-testid="message"
      data-outgoing={String(m.outgoing)}
      data-delivery={item.delivery}
      data-mode={m.encryption}
    >
      <div class="bubble">
        <span class="text" data-testid="message-text">{m.text}</span>
        <span class="meta">
          {m.encryption === 'e2ee' ? <span class="meta-lock" title="Sent end-to-end encrypted"><LockIcon size={11} /></span> : null}
          {clock(m.ts)}
          {m.outgoing ? (
            <span class={`receipt receipt-${item.delivery}`} data-testid="receipt" data-state={item.delivery} title={d.label} aria-label={d.label}>
              {d.mark ?? <ClockIcon />}
            </span>
          ) : null}
        </span>
      </div>
      {item.failure ? <div class="failure">{item.failure}</div> : null}
    </li>
  )
}

export function ConversationPane({ model, view, onBack }: { model: ChatModel; view: ConversationView; onBack: () => void }) {
  const [draft, setDraft] = useState('')
  const [dialog, setDialog] = useState<'upgrade' | 'safety' | 'report' | null>(null)
  const listRef = useRef<HTMLOListElement>(null)
  const inputRef = useRef<HTMLInputElement>(null)

  useEffect(() => {
    const el = listRef.current
    if (el) el.scrollTop = el.scrollHeight
  }, [view.items.length, view.peerTyping])
  useEffect(() => {
    setDraft('')
    setDialog(null)
    inputRef.current?.focus()
  }, [view.id])

  const submit = async (e: Event) => {
    e.preventDefault()
    const text = draft.trim()
    if (!text) return
    setDraft('')
    const ok = await model.send(view.id, text)
    if (!ok) setDraft(text)
  }

  const canUpgrade = view.encryption === 'server-side' && model.mayUpgrade
  return (
    <section class="pane" data-testid="conversation" data-peer={view.peer} data-mode={view.encryption}>
      <header class="pane-head">
        <button class="icon-button back" aria-label="Back to conversations" onClick={onBack}>←</button>
        <div class="avatar" aria-hidden="true">{view.peer.slice(0, 1).toUpperCase()}</div>
        <div class="pane-title">
          <strong data-testid="peer-name">{view.peer}</strong>
          <ModeBadge mode={view.encryption} />
        </div>
        <div class="pane-actions">
          {canUpgrade ? (
            <button class="button primary small" data-testid="upgrade-button" onClick={() => setDialog('upgrade')}>
              <LockIcon /> Upgrade to end-to-end encryption
            </button>
          ) : null}
          {view.encryption === 'e2ee' ? (
            <button class="button small" data-testid="safety-button" onClick={() => setDialog('safety')}>Verify safety number</button>
          ) : null}
          <button class="button small danger-outline" data-testid="report-button" onClick={() => setDialog('report')}>Report</button>
        </div>
      </header>
      <p class={`mode-explainer mode-${view.encryption}`} data-testid="mode-explainer">{modeExplanation(view.encryption, view.peer)}</p>
      <ol class="timeline" ref={listRef} data-testid="timeline" aria-live="polite">
        {view.items.length === 0 ? <li class="notice">Say hello to {view.peer}</li> : null}
        {view.items.map((item) => <Row key={item.key} item={item} />)}
      </ol>
      <div class="typing" data-testid="typing" hidden={!view.peerTyping}>{view.peer} is typing…</div>
      {view.sendError ? (
        <div class="send-error" data-testid="send-error" data-code={view.sendError.code} role="alert">{view.sendError.text}</div>
      ) : null}
      <form class="composer" onSubmit={submit}>
        <input
          ref={inputRef}
          data-testid="composer-input"
          value={draft}
          placeholder={view.encryption === 'e2ee' ? `Encrypted message to ${view.peer}` : `Message ${view.peer}`}
          maxLength={4000}
          onInput={(e) => {
            setDraft((e.target as HTMLInputElement).value)
            model.typing(view.id)
          }}
        />
        <button class="button primary" data-testid="composer-send" type="submit" disabled={!draft.trim()}>Send</button>
      </form>
      {dialog === 'upgrade' ? (
        <UpgradeDialog peer={view.peer} manifest={model.manifest} upgrade={() => model.upgrade(view.id)} onClose={() => setDialog(null)} />
      ) : null}
      {dialog === 'safety' ? <SafetyDialog peer={view.peer} load={() => model.safetyNumber(view.id)} onClose={() => setDialog(null)} /> : null}
      {dialog === 'report' ? (
        <ReportDialog
          peer={view.peer}
          encryption={view.encryption}
          preview={model.reportPreview(view.id)}
          send={(reason) => model.report(view.id, reason)}
          onClose={() => setDialog(null)}
        />
      ) : null}
    </section>
  )
}
