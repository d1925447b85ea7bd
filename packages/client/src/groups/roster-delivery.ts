/**
 * The inbox's group-roster work (delivery/inbox.ts; docs/groups.md): a delivered roster record
 * verified and pinned, and a group message's roster head checked against the pin — catching up
 * records a server withheld before the sender is judged. Membership events are queued in
 * `after`, to run once the inbox's batch is stored.
 */
import { InvalidFrameError, MemberMismatchError, RosterRejectedError, type Delivery, type RosterHead } from '@parley/protocol'
import type { ClientCore } from '../core.js'
import type { Conversation } from '../conversations/conversation.js'
import type { ConversationRecord } from '../store-layout.js'
import type { JsonValue } from '../key-store/key-store.js'
import { emitMembers, membersEvent } from './group-ops.js'
import type { Rosters } from './rosters.js'

/** What the roster checks need from the client. */
export interface RosterDeliveryDeps {
  core: ClientCore
  registry: { pinChanges(c: Conversation, modeChange: ConversationRecord['modeChange'], changes: Record<string, JsonValue | null>): Promise<() => void> }
  rosters?: Rosters
}

/** A delivered roster record: verified against the pin, saved, and the membership change emitted once stored. */
export async function applyRosterDelivery(deps: RosterDeliveryDeps, c: Conversation, d: Delivery, changes: Record<string, JsonValue | null>, after: (() => void)[]): Promise<void> {
  const record = d.roster
  if (c.kind !== 'group' || !record || !deps.rosters) throw new InvalidFrameError('roster delivery without a record, or for a 1:1')
  const rosters = deps.rosters
  const next = await rosters.run(async () => {
    const pin = await rosters.onRecord(c.id, record, {})
    if (pin) await rosters.save(pin)
    return pin
  })
  if (!next) return
  c._roster = next.state
  // A signed record stating E2EE (a create or an add) pins it, whatever the server says.
  if (next.state.mode === 'e2ee' && c.encryption !== 'e2ee') after.push(await deps.registry.pinChanges(c, undefined, changes))
  after.push(() => emitMembers(deps.core, c, membersEvent(next, record)))
}

/**
 * A group message's roster head against the pin (docs/groups.md). A head ahead of the pin
 * means this device missed records (a server freezing its roster): they are fetched and
 * verified first, and the sender checked again against the caught-up roster. A head this
 * device cannot reconcile is reported (`head_mismatch`, naming the sender) and the message
 * still shown: the sender is a verified member and the content theirs.
 * @throws {RosterRejectedError} `gap` when the server withholds the records the head names.
 * @throws {MemberMismatchError} the caught-up roster no longer has the sender.
 */
export async function checkRosterHead(
deps: RosterDeliveryDeps, c: Conversation, d: Delivery, head: RosterHead | undefined,
changes: Record<string, JsonValue | null>, after: (() => void)[],
): Promise<void> {
  if (c.kind !== 'group' || !deps.rosters || !head) return
  let pin = await deps.rosters.pin(c.id)
  if (!pin) return
  if (head.version > pin.state.version) {
    const advanced = await deps.rosters.advanceTo(c.id, head.version)
    if (advanced && advanced.applied.length > 0) {
      pin = advanced.pin
      c._roster = pin.state
      if (pin.state.mode === 'e2ee' && c.encryption !== 'e2ee') after.push(await deps.registry.pinChanges(c, undefined, changes))
      for (const step of advanced.applied) after.push(() => emitMembers(deps.core, c, membersEvent(step.pin, step.record)))
    }
    if (!c.members.includes(d.sender.userId)) {
      throw new MemberMismatchError('a delivery from a user who is not a member of this conversation was refused', { conversationId: c.id, userId: d.sender.userId })
    }
  }
  try {
    deps.rosters.checkHead(pin, head, c.id, d.sender)
  } catch (e) {
    if (!RosterRejectedError.isInstance(e) || e.details.reason !== 'head_mismatch') throw e
    after.push(() => {
      const payload = { error: e, conversationId: c.id, messageId: d.messageId, device: { ...d.sender }, sessionReset: false }
      c._emit('error', payload)
      deps.core.events.emit('error', payload)
    })
  }
}
