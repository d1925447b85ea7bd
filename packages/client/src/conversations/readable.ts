/**
 * The checks every readable (server-side) message passes before this device stores or shows
 * it — the same for a live delivery and a `history.fetch` row: the conversation is not pinned
 * E2EE, the sender is a member, and the body opens its franking commitment (attachments by
 * their committed hashes).
 */
import {
  BadFrankingError, DowngradeRejectedError, InvalidFrameError, MemberMismatchError, fromBase64, type Delivery,
} from '@parley/protocol'
import { checkFranking, sha256Base64 } from '@parley/crypto'
import type { Conversation } from './conversation.js'

/** A readable delivery or history row, checked. */
export type CheckedReadable = Delivery & { body: NonNullable<Delivery['body']>; franking: NonNullable<Delivery['franking']> }

/**
 * @throws {DowngradeRejectedError} the conversation is pinned E2EE.
 * @throws {MemberMismatchError} the sender is not a member.
 * @throws {InvalidFrameError} body or franking missing.
 * @throws {BadFrankingError} the body or an attachment does not open the commitment.
 */
export function checkReadable(c: Conversation, d: Delivery): CheckedReadable {
  if (c.encryption === 'e2ee') {
    throw new DowngradeRejectedError('a server-side message arrived for an end-to-end encrypted conversation; it was not shown', { conversationId: c.id })
  }
  if (!c.members.includes(d.sender.userId)) {
    throw new MemberMismatchError('a message from a user who is not a member of this conversation was refused', { conversationId: c.id, userId: d.sender.userId })
  }
  const body = d.body
  if (!body || !d.franking) throw new InvalidFrameError('server-side delivery without body or franking')
  for (const a of body.attachments) {
    // An out-of-band attachment carries no bytes here; its hash is checked when downloaded.
    if (a.file ? a.data !== '' : sha256Base64(fromBase64(a.data)) !== a.sha256) throw new BadFrankingError('an attachment does not match its committed hash')
  }
  const metas = body.attachments.map(({ data: _d, ...m }) => m)
  if (!checkFranking({ text: body.text, attachments: metas, ref: body.ref, timer: body.timer }, body.nf, d.franking.tf)) throw new BadFrankingError()
  return d as CheckedReadable
}
