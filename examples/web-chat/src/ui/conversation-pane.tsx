/**
 * The open conversation: a header with the peer, the real-mode badge and the actions
 * (upgrade, verify, mute, block, report), the timeline (messages with delivery ticks, notices,
 * errors, typing, older pages on demand, attachments) and the composer (text and files, with an
 * upload progress bar: attachments.tsx) with its inline send error — the
 * same for a message a local plugin blocks (E2EE) and one the server blocks: no row, the
 * reason, the draft kept. A message request shows its answers on top; a conversation a
 * moderator closed, or with a user this user blocks, says so in place of the composer. A group
 * shows its verified title and, above the timeline, its roster (roster-panel.tsx).
 */
import { useEffect, useMemo, useRef, useState, type FormEvent } from 'react'
import type { Delivery } from '@parley/react'
import { useConversation, useMessages, useParley, useTyping } from '@parley/react'
import { DisappearingSelect } from './disappearing-select.js'
import { POLICY_TABLE, ParleyError } from '@parley/protocol'
import { describeError } from './describe-error.js'
import { AlertIcon, ClockIcon, LockIcon } from './icons.js'
import { ModeBadge, modeExplanation } from './mode-badge.js'
import { ReportDialog } from './report-dialog.js'
import { RosterPanel } from './roster-panel.js'
import { RequestBanner } from './request-banner.js'
import { BlockButton, MuteButton } from './safety-actions.js'
import { useSafetyState } from './safety-context.js'
import { SafetyDialog } from './safety-dialog.js'
import { isClosed, timeline, type TimelineItem } from './timeline.js'
import { UpgradeDialog } from './upgrade-dialog.js'
import { useRoster } from './use-roster.js'
import { MessageDecorations, MessageMenu } from './message-actions.js'
import { AttachButton, ChosenFiles, MessageAttachments, useFilePicker } from './attachments.js'
import type { Conversation, Message } from '@parley/client'
import type { MessageView } from '@parley/react'

/** What a message row needs for edit, delete, reactions and replies (message-actions.tsx). */
interface RowActions { conversation: Conversation | null; selfUserId: string; rows: readonly MessageView[]; onReply: (m: Message) => void }

const DELIVERY_MARK: Record<Delivery, { mark: string | null; label: string }> = {
  pending: { mark: null, label: 'Sending' },
  sent: { mark: '✓', label: 'Sent' },
  delivered: { mark: '✓✓', label: 'Delivered' },
  read: { mark: '✓✓', label: 'Read' },
}

function clock(ts: number): string {
  return new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })
}

function Row({ item, group, actions }: { item: TimelineItem; group: boolean; actions: RowActions }) {
  if (item.kind === 'notice') {
    return <li className={`notice notice-${item.noticeKind}`} data-testid="notice" data-kind={item.noticeKind}>{item.text}</li>
  }
  if (item.kind === 'error') {
    return <li className="notice notice-error" data-testid="timeline-error" role="alert"><AlertIcon /> {item.text}</li>
  }
  const m = item.view.message
  const delivery = item.view.delivery
  return (
    <li className={`message ${m.outgoing ? 'out' : 'in'}`} data-testid="message" data-outgoing={String(m.outgoing)} data-delivery={delivery ?? 'received'} data-mode={m.encryption}>
      <div className="bubble">
        {group && !m.outgoing ? <span className="sender" data-testid="message-sender">{m.sender.userId}</span> : null}
        <MessageDecorations m={m} rows={actions.rows} />
        <span className="text" data-testid="message-text">{m.text}</span>
        <MessageAttachments m={m} />
        <span className="meta">
          {m.encryption === 'e2ee' ? <span className="meta-lock" title="Sent end-to-end encrypted"><LockIcon size={11} /></span> : null}
          {clock(m.ts)}
          {delivery ? (
            <span className={`receipt receipt-${delivery}`} data-testid="receipt" data-state={delivery} title={DELIVERY_MARK[delivery].label} aria-label={DELIVERY_MARK[delivery].label}>
              {DELIVERY_MARK[delivery].mark ?? <ClockIcon />}
            </span>
          ) : null}
        </span>
      </div>
      {actions.conversation ? <MessageMenu m={m} conversation={actions.conversation} selfUserId={actions.selfUserId} onReply={actions.onReply} /> : null}
    </li>
  )
}

export function ConversationPane({ conversationId, onBack }: { conversationId: string; onBack: () => void }) {
  const { manifest, client, userId } = useParley()
  const convo = useConversation(conversationId)
  const safety = useSafetyState()
  const request = safety.requests.find((r) => r.conversationId === conversationId)
  const msgs = useMessages(conversationId)
  const { peerTyping, notifyTyping } = useTyping(conversationId)
  const [draft, setDraft] = useState('')
  const [dialog, setDialog] = useState<'upgrade' | 'safety' | 'report' | null>(null)
  const [replyTo, setReplyTo] = useState<Message | null>(null)
  const picker = useFilePicker()
  const listRef = useRef<HTMLOListElement>(null)
  const roster = useRoster(convo.conversation) // a group: its verified title; re-rendered on changes
  const group = roster !== null
  const peer = roster ? roster.title || 'this group' : convo.peerUserId ?? '…'
  const encryption = convo.encryption ?? 'server-side'
  const items = useMemo(() => timeline(msgs.messages, convo.notices, convo.errors, encryption), [msgs.messages, convo.notices, convo.errors, encryption])
  // The newest received message as an object: a row first shown from the server's history is
  // replaced by the live delivery once the client has stored it, and only then can it be marked read.
  const lastIncoming = msgs.messages.filter((m) => !m.message.outgoing).at(-1)?.message
  const { markRead } = msgs

  useEffect(() => {
    const el = listRef.current
    if (el) el.scrollTop = el.scrollHeight
  }, [items.length, peerTyping])
  // Read receipts for what is on screen, now and whenever the tab comes back.
  useEffect(() => {
    const read = () => document.visibilityState === 'visible' && void markRead().catch(() => {})
    read()
    document.addEventListener('visibilitychange', read)
    return () => document.removeEventListener('visibilitychange', read)
  }, [lastIncoming, markRead])

  const submit = async (e: FormEvent) => {
    e.preventDefault()
    const text = draft.trim()
    if (!text && picker.files.length === 0) return
    setDraft('')
    // A failure is shown from `msgs.sendError`; the draft (and files) come back so nothing is lost.
    const reply = replyTo
    setReplyTo(null)
    const files = picker.take()
    const sent = await msgs.send({ text, ...(reply ? { replyTo: reply.id } : {}), ...(files ? { attachments: files.attachments, onProgress: files.onProgress } : {}) }).then(() => true, () => false)
    files?.done(!sent)
    if (!sent) setDraft(text)
  }

  const canUpgrade = encryption === 'server-side' && manifest !== null && POLICY_TABLE[manifest.policy].userMayUpgrade
  const closed = isClosed(convo.notices)
  // Removed or left: the verified roster no longer lists this user, so there is nothing to send to.
  const left = roster !== null && roster.version > 0 && !roster.members.some((m) => m.userId === userId)
  const blocked = !group && convo.peerUserId !== null && (client?.users.isBlocked(convo.peerUserId) ?? false)
  return (
    <section className="pane" data-testid="conversation" data-kind={group ? 'group' : 'direct'} data-peer={peer} data-mode={encryption} data-closed={String(closed)} data-blocked={String(blocked)} data-request={request?.state ?? 'none'}>
      <header className="pane-head">
        <button className="icon-button back" aria-label="Back to conversations" onClick={onBack}>←</button>
        <div className="avatar" aria-hidden="true">{peer.slice(0, 1).toUpperCase()}</div>
        <div className="pane-title">
          <strong data-testid="peer-name">{peer}</strong>
          <ModeBadge mode={encryption} />
        </div>
        <div className="pane-actions">
          {canUpgrade ? (
            <button className="button primary small" data-testid="upgrade-button" onClick={() => setDialog('upgrade')}>
              <LockIcon /> Upgrade to end-to-end encryption
            </button>
          ) : null}
          {encryption === 'e2ee' && !group ? (
            <button className="button small" data-testid="safety-button" onClick={() => setDialog('safety')}>Verify safety number</button>
          ) : null}
          {convo.conversation ? <DisappearingSelect conversation={convo.conversation} /> : null}
          {convo.conversation ? <MuteButton conversation={convo.conversation} /> : null}
          {convo.peerUserId && !group ? <BlockButton peer={convo.peerUserId} /> : null}
          <button className="button small danger-outline" data-testid="report-button" onClick={() => setDialog('report')}>Report</button>
        </div>
      </header>
      {request ? <RequestBanner request={request} onReport={() => setDialog('report')} /> : null}
      <p className={`mode-explainer mode-${encryption}`} data-testid="mode-explainer">{modeExplanation(encryption, group ? 'the members of this group' : peer)}</p>
      {group && convo.conversation ? <RosterPanel conversation={convo.conversation} /> : null}
      <ol className="timeline" ref={listRef} data-testid="timeline" aria-live="polite">
        {msgs.hasMore ? (
          <li className="notice">
            <button className="button small" data-testid="load-older" disabled={msgs.loadingMore} onClick={() => void msgs.loadMore()}>
              {msgs.loadingMore ? 'Loading…' : 'Show older messages'}
            </button>
          </li>
        ) : null}
        {msgs.error ? <li className="notice notice-error" role="alert"><AlertIcon /> Could not load history: {describeError(msgs.error)}</li> : null}
        {items.length === 0 && !msgs.loading ? <li className="notice">Say hello to {peer}</li> : null}
        {items.map((item) => <Row key={item.key} item={item} group={group} actions={{ conversation: convo.conversation, selfUserId: client?.userId ?? '', rows: msgs.messages, onReply: setReplyTo }} />)}
      </ol>
      <div className="typing" data-testid="typing" hidden={!peerTyping}>{peer} is typing…</div>
      {msgs.sendError ? (
        <div className="send-error" data-testid="send-error" data-code={ParleyError.isInstance(msgs.sendError) ? msgs.sendError.code : 'error'} role="alert">
          {describeError(msgs.sendError)}
        </div>
      ) : null}
      {closed ? (
        <div className="composer-closed" data-testid="closed-banner" role="status">A moderator closed this conversation. No more messages can be sent in it.</div>
      ) : left ? (
        <div className="composer-closed" data-testid="left-banner" role="status">You are no longer a member of this group. What you received stays here; nothing sent after reaches you.</div>
      ) : blocked ? (
        <div className="composer-closed" data-testid="blocked-banner" role="status">You block {peer}: they are not told, and nothing they send reaches you. Unblock them to write to them.</div>
      ) : (
      <form className="composer" onSubmit={submit}>
        {replyTo ? (
          <div className="replying" data-testid="replying-to">
            Replying to “{replyTo.text}” <button type="button" className="link-button" data-testid="cancel-reply" onClick={() => setReplyTo(null)}>Cancel</button>
          </div>
        ) : null}
        <input
          autoFocus
          data-testid="composer-input"
          value={draft}
          placeholder={encryption === 'e2ee' ? `Encrypted message to ${peer}` : `Message ${peer}`}
          maxLength={4000}
          onChange={(e) => {
            setDraft(e.target.value)
            if (e.target.value) notifyTyping()
          }}
        />
        <AttachButton picker={picker} />
        <button className="button primary" data-testid="composer-send" type="submit" disabled={(!draft.trim() && picker.files.length === 0) || picker.progress !== null}>Send</button>
        <ChosenFiles picker={picker} />
      </form>
      )}
      {dialog === 'upgrade' ? <UpgradeDialog conversationId={conversationId} onClose={() => setDialog(null)} /> : null}
      {dialog === 'safety' ? <SafetyDialog conversationId={conversationId} peer={peer} onClose={() => setDialog(null)} /> : null}
      {dialog === 'report' ? <ReportDialog conversationId={conversationId} peer={peer} onClose={() => setDialog(null)} /> : null}
    </section>
  )
}
