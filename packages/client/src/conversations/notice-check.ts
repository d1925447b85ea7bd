/**
 * The trust rule for `notice` frames (issue 12, row 14): a notice is a code, and the only user
 * ids it may name are members of the conversation it is about, as this client pinned them on
 * first sight — so a server cannot put a stranger's id (or an id spelled like a sentence) into
 * "… turned on end-to-end encryption".
 */
import { MemberMismatchError, type Notice } from '@parley/protocol'

/** The user id a notice names, if any. */
function namedUser(n: Notice): string | undefined {
  if (n.kind === 'mode_changed') return n.by
  if (n.kind === 'device_added' || n.kind === 'identity_changed') return n.userId
  return undefined
}

/**
 * Checks a notice against the pinned members of its conversation (`members`, when this client
 * knows the conversation).
 * @throws {MemberMismatchError} the notice names a user who is not a member.
 */
export function checkNotice(n: Notice, members: readonly string[] | undefined): Notice {
  const user = namedUser(n)
  if (user !== undefined && members && !members.includes(user)) {
    throw new MemberMismatchError('a notice naming a user who is not a member of this conversation was refused', { conversationId: n.conversationId, userId: user })
  }
  return n
}
