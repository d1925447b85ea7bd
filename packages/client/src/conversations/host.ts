/**
 * The {@link ConversationHost} a client gives its `Conversation` objects: each operation routed
 * to the part of the client that owns it (history and reports: conversation-ops.ts; receipts;
 * safety; disappearing timers; rosters; message actions). Built once the client's parts exist.
 */
import type { ClientCore } from '../core.js'
import type { DisappearingTimers } from '../disappearing/timers.js'
import type { Outbox } from '../delivery/outbox.js'
import { changeRoster, type GroupRegistry } from '../groups/group-ops.js'
import type { Rosters } from '../groups/rosters.js'
import { runAction } from '../messages/actions.js'
import type { Receipts } from '../receipts/receipts.js'
import type { SafetyControls } from '../safety/controls.js'
import type { Directory } from '../sessions/directory.js'
import type { SendInput } from '../types.js'
import type { SendResult } from '@parley/protocol'
import type { Conversation, ConversationHost } from './conversation.js'
import { history, report, safetyNumberFor } from './conversation-ops.js'
import type { ConversationRegistry } from './registry.js'

/** The parts of a client a conversation's operations reach. */
export interface ConversationHostParts {
  core: ClientCore
  directory: Directory
  registry: ConversationRegistry
  outbox: Outbox
  receipts: Receipts
  safety: SafetyControls
  rosters: Rosters
  groupRegistry: GroupRegistry
  disappearing: DisappearingTimers
  /** The client's `editWindowMs` option, checked, read at each action. */
  editWindowMs(): number
  /** The client's send: attachments first, then the outbox; refused once the client is closed. */
  send(c: Conversation, input: SendInput): Promise<SendResult>
  whenReady(): Promise<void>
  onListenerError(e: unknown): void
}

export function conversationHost(p: ConversationHostParts): ConversationHost {
  const { core, directory, registry, outbox, receipts, safety, rosters, groupRegistry, disappearing } = p
  return {
    selfUserId: () => core.self().userId,
    minimumMode: () => core.minimumMode(),
    send: (c, input) => p.send(c, input),
    history: (c, opts) => history(core, c, opts),
    markRead: (c) => receipts.markRead(c),
    unreadCount: (c) => receipts.unread.get(c),
    receipts: (c, id) => receipts.receipts(c, id),
    typing: async (c, typing) => {
      await p.whenReady()
      await core.conn.request('typing.send', { conversationId: c.id, typing: typing !== false })
    },
    upgrade: (c) => registry.upgrade(c),
    safetyNumber: (c) => safetyNumberFor(core, directory, c),
    acceptIdentity: async (c) => {
      const changed = await directory.acceptIdentity(c.peerUserId)
      if (changed) outbox.kick()
      return changed
    },
    report: (c, opts) => report(core, c, opts),
    changeRoster: (c, change) => changeRoster(core, rosters, groupRegistry, directory, c, change),
    act: (c, a) => runAction({ core, enqueue: (cc, i, r) => outbox.enqueue(cc, i, r), editWindowMs: p.editWindowMs() }, c, a),
    onListenerError: (e) => p.onListenerError(e),
    muted: (c) => safety.state.isMuted(c.id),
    request: (c) => safety.state.request(c.id)?.state ?? null,
    setMuted: (c, muted) => safety.setMuted(c, muted),
    setDisappearing: (c, ms) => disappearing.set(c, ms),
    disappearingMs: (c) => disappearing.timerOf(c.id),
  }
}
