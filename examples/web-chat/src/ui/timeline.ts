/**
 * One conversation's timeline: its messages, notices and error events in time order. The
 * notices' words are this app's (`noticeText`, following this client's pinned mode), never
 * the server's. A message a moderator removed (a `message_removed` notice names it) is left
 * out — this device may still hold its text (E2EE) — and the notice says why in its place.
 */
import { noticeText } from '@parley/client'
import type { EncryptionMode, Notice } from '@parley/protocol'
import type { ConversationError, MessageView } from '@parley/react'
import { describeError } from './describe-error.js'

/** One line of the timeline. */
export type TimelineItem =
  | { kind: 'message'; key: string; ts: number; view: MessageView }
  | { kind: 'notice'; key: string; ts: number; text: string; noticeKind: Notice['kind'] }
  | { kind: 'error'; key: string; ts: number; text: string }

/** The ids of the messages a moderator removed, from the conversation's notices. */
export function removedMessageIds(notices: readonly Notice[]): ReadonlySet<string> {
  return new Set(notices.flatMap((n) => (n.kind === 'message_removed' ? [n.messageId] : [])))
}

/** True when a moderator closed the conversation. */
export function isClosed(notices: readonly Notice[]): boolean {
  return notices.some((n) => n.kind === 'conversation_closed')
}

/** Merges the three lists by time; messages keep their server order among themselves. */
export function timeline(allMessages: readonly MessageView[], notices: readonly Notice[], errors: readonly ConversationError[], encryption: EncryptionMode): TimelineItem[] {
  const removed = removedMessageIds(notices)
  const messages = removed.size ? allMessages.filter((v) => !removed.has(v.message.id)) : allMessages
  const rest: TimelineItem[] = [
    ...notices.map((n, i): TimelineItem => ({ kind: 'notice', key: `n-${n.kind}-${n.ts}-${i}`, ts: n.ts, text: noticeText(n, { encryption }), noticeKind: n.kind })),
    ...errors.map((e, i): TimelineItem => ({ kind: 'error', key: `e-${e.ts}-${i}`, ts: e.ts, text: describeError(e.error) })),
  ].sort((a, b) => a.ts - b.ts)
  const out: TimelineItem[] = []
  let r = 0
  for (const view of messages) {
    while (r < rest.length && rest[r]!.ts <= view.message.ts) out.push(rest[r++]!)
    out.push({ kind: 'message', key: view.key, ts: view.message.ts, view })
  }
  return [...out, ...rest.slice(r)]
}
