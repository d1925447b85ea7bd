/**
 * What follows the server's ack of this device's own send (outbox.ts): the message as this
 * device stores it (the ack gives its id, seq, time and the server's franking), and what the app
 * is told once it is stored — the message, or for an edit, tombstone or reaction the change of
 * its target, a receipt, or why the action could not apply.
 */
import { fromBase64, type SendResult } from '@parley/protocol'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import { timerField } from '../disappearing/message-timer.js'
import { storeAttachments, toMessage } from '../messages/message-log.js'
import { isAction, type Applied } from '../messages/apply-action.js'
import type { OutboxEntry, StoredMessage } from '../store-layout.js'
import { attachmentMetas } from './send-input.js'

/** The stored form of `entry` (built, so it has a frame and `nf`) once the server acked it. */
export function storedFromAck(entry: OutboxEntry, ack: SendResult, self: { userId: string; deviceId: string }): StoredMessage {
  const frame = entry.frame!
  const stored: StoredMessage = {
    id: ack.messageId, clientMessageId: entry.clientMessageId, conversationId: entry.conversationId, seq: ack.seq, ts: ack.ts,
    sender: { userId: self.userId, deviceId: self.deviceId }, outgoing: true, text: entry.text,
    attachments: storeAttachments(attachmentMetas(entry.attachments).map((meta, i) => ({ ...meta, data: fromBase64(entry.attachments[i]!.data) }))),
    encryption: frame.mode, nf: entry.nf!, tf: frame.tf, rf: ack.franking.rf, kid: ack.franking.kid, ...timerField(entry.timer),
  }
  if (entry.ref) {
    stored.ref = entry.ref
    const sig = frame.mode === 'server-side' ? frame.body.sig : undefined
    if (sig) stored.sig = sig
  }
  return stored
}

/** Emits what an acked, stored send means to the app, on the conversation and the client. */
export function emitAcked(core: ClientCore, c: Conversation, stored: StoredMessage, applied: Applied | null, messageId: string): void {
  if (!isAction(stored)) {
    const m = toMessage(stored)
    c._emit('message', m)
    core.events.emit('message', m)
  } else if (applied && 'target' in applied) {
    const m = toMessage(applied.target)
    c._emit('update', m)
    core.events.emit('update', m)
  } else if (applied && 'receipt' in applied) {
    c._emit('receipt', applied.receipt)
    core.events.emit('receipt', applied.receipt)
  } else if (applied && 'error' in applied) {
    core.reportError({ error: applied.error, conversationId: c.id, messageId })
  }
}
