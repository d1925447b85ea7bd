/**
 * Writing a checked delivery: the message (or action) into the batch's changes, with the events
 * it raises once the batch is committed; and the signer check of a mode change it carries.
 * Used by the inbox (inbox.ts) for every delivery that passed decryption and franking.
 */
import { InvalidSignatureError, MemberMismatchError, type Delivery, type DeviceAddress } from '@parley/protocol'
import { verifyModeChange } from '@parley/crypto'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { Directory } from '../sessions/directory.js'
import type { JsonValue } from '../key-store/key-store.js'
import { toMessage } from '../messages/message-log.js'
import type { StoredMessage } from '../store-layout.js'
import { verifyRef } from '../messages/apply-action.js'
import { receiveMessage } from '../messages/receive.js'

/** What writing a received message needs from the client. */
export interface ReceivedDeps {
  core: ClientCore
  directory: Directory
}

/**
 * Writes a checked message into `changes`. A message carrying a reference must be signed by
 * its sending device (else it is refused, not stored); an action (edit, delete, reaction) is
 * stored and applied to its target, shown as an `'update'` of the target (docs/messages.md).
 */
export async function storeReceived(
  deps: ReceivedDeps, c: Conversation, d: Delivery, changes: Record<string, JsonValue | null>, after: (() => void)[],
  m: {
    text: string; attachments: StoredMessage['attachments']; nf: string; outgoing: boolean; cmid?: string; flagged?: { plugin: string; reason: string } | undefined
    ref?: StoredMessage['ref']; sig?: string | undefined; timer?: number | undefined
  },
): Promise<void> {
  if (m.ref) await verifyRef(async (a) => (await deps.directory.deviceEntry(a))?.signingKey, c.id, d.sender, m.sig, d.franking!.tf)
  const stored: StoredMessage = {
    id: d.messageId, conversationId: d.conversationId, seq: d.seq, ts: d.ts, sender: { ...d.sender }, outgoing: m.outgoing,
    text: m.text, attachments: m.attachments, encryption: d.mode, nf: m.nf, tf: d.franking!.tf, rf: d.franking!.rf, kid: d.franking!.kid,
  }
  const cmid = m.cmid ?? d.clientMessageId
  if (cmid !== undefined) stored.clientMessageId = cmid
  if (m.flagged) stored.flagged = m.flagged
  if (m.ref) stored.ref = m.ref
  if (m.sig) stored.sig = m.sig
  if (m.timer !== undefined) stored.timer = m.timer // franked: expiry follows the sender's timer (decision 0023)
  const received = await receiveMessage(deps.core.store, changes, stored, deps.core.now())
  const error = 'action' in received ? ('error' in received.applied ? received.applied.error : undefined) : received.error
  after.push(() => {
    if (error) {
      const payload = { error, conversationId: c.id, messageId: d.messageId, device: { ...d.sender }, sessionReset: false }
      c._emit('error', payload)
      deps.core.events.emit('error', payload)
    }
    if ('action' in received && 'receipt' in received.applied) return void (c._emit('receipt', received.applied.receipt), deps.core.events.emit('receipt', received.applied.receipt))
    if ('action' in received && !('target' in received.applied)) return
    const msg = toMessage('action' in received ? (received.applied as { target: StoredMessage }).target : received.message)
    if ('action' in received) return void (c._emit('update', msg), deps.core.events.emit('update', msg))
    if (!msg.outgoing && c.request !== null) msg.request = true // safety: an open message request
    c._emit('message', msg)
    deps.core.events.emit('message', msg)
  })
}

/**
 * A mode change's signer: a member of `c` (of a group, an admin) whose listed device signed it.
 * @throws {MemberMismatchError} when the signer is not a member of `c`.
 * @throws {InvalidSignatureError} when the record is not signed by a listed device of its user.
 */
export async function checkModeChangeSigner(directory: Directory, mc: NonNullable<Delivery['modeChange']>, c: Conversation): Promise<void> {
  if (!c.members.includes(mc.userId) || (c.kind === 'group' && c.roleOf(mc.userId) !== 'admin')) {
    throw new MemberMismatchError('the mode change is signed by a user who is not a member (of a group: an admin) of this conversation', { conversationId: c.id, userId: mc.userId })
  }
  const signer: DeviceAddress = { userId: mc.userId, deviceId: mc.deviceId }
  const entry = await directory.deviceEntry(signer)
  if (!entry || !verifyModeChange(mc, entry.signingKey)) {
    throw new InvalidSignatureError('the mode change is not signed by a device of its user', { what: 'mode_change' })
  }
}
