/**
 * One conversation's timeline: its messages, notices and error events in time order. The
 * notices' words are this app's (`noticeText`, following this client's pinned mode), never
 * the server's.
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

/** Merges the three lists by time; messages keep their server order among themselves. */
export function timeline(messages: readonly MessageView[], notices: readonly Notice[], errors: readonly ConversationError[], encryption: EncryptionMode): TimelineItem[] {
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
