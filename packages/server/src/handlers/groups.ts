/**
 * Groups (docs/groups.md): create a group from its first signed roster record, append roster
 * records (add, remove, leave, role, title), fetch them. The server checks every record with
 * the same rules clients run (`applyRosterRecord`: chain, version, the signer's device key as
 * registered, the signer's authority) before storing it, so an honest server never stores a
 * record clients would refuse; clients check again and believe only the signed chain. A record
 * is stored as a `roster` message at the conversation's next seq and fanned out to every
 * device of the members before and after it, in the group committer's order for those users.
 */
import {
  createModeState, DEFAULT_MAX_GROUP_MEMBERS, ForbiddenError, GroupFullError, NotFoundError, RosterRejectedError, type RosterRecord,
} from '@parley/protocol'
import { applyRosterRecord, emptyRoster, rosterMembers, type RosterState } from '@parley/crypto'
import { randomUUID } from 'node:crypto'
import { deliver, me, memberOf, userRoom, type Ctx } from '../context.js'
import { checkInvite, openInviteRequests } from '../safety/group-gate.js'
import type { RosterOutcome } from '../store/store.js'
import type { Handler } from './types.js'

/** The record's signer is this device, and the next state it leads to (verified with the registered key). */
async function verifiedNext(ctx: Ctx, self: { userId: string; deviceId: string }, state: RosterState, record: RosterRecord): Promise<RosterState> {
  if (record.userId !== self.userId || record.deviceId !== self.deviceId) throw new ForbiddenError('a device may only sign roster records as itself')
  const device = await ctx.store.getDevice(self.userId, self.deviceId)
  return applyRosterRecord(state, record, device?.active ? device.signingKey : null)
}

/**
 * An E2EE group's title is sealed to its members (decision 0022), a server-side group's is
 * readable: a record that carries the other kind is refused before anything is stored. `stale`
 * for a readable title in an E2EE group (its signer has not seen the upgrade yet: it retries
 * sealed), `invalid_change` for a sealed one in a server-side group.
 * @throws {RosterRejectedError}
 */
function checkTitleMode(record: RosterRecord, encryption: 'server-side' | 'e2ee'): void {
  const c = record.change
  if (c.action !== 'create' && c.action !== 'title' && c.action !== 'add') return
  const readable = c.action === 'add' ? '' : c.title
  if (encryption === 'e2ee' && readable !== '') {
    throw new RosterRejectedError('the group is e2ee: its title is sealed to the members, never readable by the server', { conversationId: record.conversationId, version: record.version, reason: c.action === 'create' ? 'invalid_change' : 'stale' })
  }
  if (encryption === 'server-side' && c.sealedTitle) {
    throw new RosterRejectedError('the group is server-side: its title is readable, not sealed', { conversationId: record.conversationId, version: record.version, reason: 'invalid_change' })
  }
}

/**
 * A sealed title names only registered, active devices (review of decision 0022): keys for
 * invented device ids would let one admin store records of megabytes that every member fetches.
 * @throws {RosterRejectedError} `invalid_change`.
 */
async function checkSealedRecipients(ctx: Ctx, record: RosterRecord): Promise<void> {
  const c = record.change
  const sealed = c.action === 'create' || c.action === 'add' || c.action === 'title' ? c.sealedTitle : undefined
  if (!sealed) return
  const byUser = new Map<string, Set<string>>()
  for (const k of sealed.keys) {
    if (!byUser.has(k.userId)) byUser.set(k.userId, new Set((await ctx.store.listDevices(k.userId)).filter((d) => d.active).map((d) => d.deviceId)))
    if (!byUser.get(k.userId)!.has(k.deviceId)) {
      throw new RosterRejectedError('the title is sealed to a device that is not registered', { conversationId: record.conversationId, version: record.version, reason: 'invalid_change' })
    }
  }
}

/** @throws {GroupFullError} past the server's member limit. @throws {NotFoundError} an unknown user. */
async function checkMembers(ctx: Ctx, next: RosterState, added: readonly string[]): Promise<void> {
  const limit = ctx.options.maxGroupMembers ?? DEFAULT_MAX_GROUP_MEMBERS
  if (rosterMembers(next).length > limit) throw new GroupFullError(`a group may have at most ${limit} members`, { limit })
  for (const u of added) if (!(await ctx.store.getUser(u))) throw new NotFoundError('unknown user', { resource: 'user', id: u })
}

/** Delivers the stored record and tells every member before and after (a `conversation` frame). */
function announce(ctx: Ctx, out: RosterOutcome, before: readonly string[], exceptSocket: string): void {
  ctx.conversations.put(out.conversation)
  deliver(ctx, out.message, out.recipients)
  const users = [...new Set([...before, ...out.conversation.members])]
  ctx.io.to(users.map(userRoom)).except(exceptSocket).emit('conversation', out.conversation)
}

export const conversationCreate: Handler<'conversation.create'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const { record } = f
    if (record.change.action !== 'create') throw new ForbiddenError('a group starts with a create record')
    const next = await verifiedNext(ctx, self, emptyRoster(record.conversationId), record)
    const invitees = rosterMembers(next).filter((u) => u !== self.userId)
    await checkMembers(ctx, next, invitees)
    const requests = await checkInvite(ctx, self.userId, invitees) // safety: canMessage, blocks
    const mode = createModeState(ctx.policy)
    // The signed mode is what members believe (docs/groups.md): it must be the mode the group is created in.
    if ((record.change.mode ?? 'server-side') !== mode.mode) {
      throw new RosterRejectedError(`a group is created ${mode.mode} under this policy; the create record states ${record.change.mode ?? 'server-side'}`, { conversationId: record.conversationId, version: 1, reason: 'invalid_change' })
    }
    checkTitleMode(record, mode.mode)
    await checkSealedRecipients(ctx, record)
    const members = rosterMembers(next)
    const out = await ctx.committer.runAlone(members, async () => {
      const o = await ctx.store.createGroup({ record, state: next, messageId: `r_${randomUUID()}`, now: ctx.now(), mode: mode.mode, upgradeRequired: mode.upgradeRequired })
      if (requests.length) await openInviteRequests(ctx, o.conversation, self.userId, requests)
      announce(ctx, o, [], s.socket.id)
      return o
    })
    return { conversation: out.conversation }
  },
}

export const rosterAppend: Handler<'roster.append'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const self = me(s)
    const { record } = f
    const conversation = await memberOf(ctx, record.conversationId, self.userId)
    if (conversation.kind !== 'group') throw new ForbiddenError('only a group has a roster')
    await ctx.closures.assertOpen(conversation.id)
    const state = await ctx.store.rosterState(conversation.id)
    if (!state) throw new NotFoundError('unknown group', { resource: 'conversation', id: conversation.id })
    const next = await verifiedNext(ctx, self, state, record)
    // An add states the group's mode: the current one (a signer that has not seen an upgrade yet retries).
    const action = record.change.action
    if (action === 'add' || action === 'title') {
      // From the store, not the node's cache: an upgrade stored through another node counts.
      const encryption = (await ctx.store.getConversation(conversation.id))?.encryption ?? conversation.encryption
      checkTitleMode(record, encryption)
      await checkSealedRecipients(ctx, record)
      if (record.change.action === 'add' && (record.change.mode ?? 'server-side') !== encryption) {
        throw new RosterRejectedError(`the group is ${encryption}; the add record states ${record.change.mode ?? 'server-side'}`, { conversationId: conversation.id, version: record.version, reason: 'stale' })
      }
    }
    const before = rosterMembers(state)
    const added = rosterMembers(next).filter((u) => !(u in state.members))
    await checkMembers(ctx, next, added)
    const requests = added.length ? await checkInvite(ctx, self.userId, added) : []
    const out = await ctx.committer.runAlone([...new Set([...before, ...added])], async () => {
      const o = await ctx.store.appendRoster({ record, state: next, messageId: `r_${randomUUID()}`, now: ctx.now() })
      // Sender keys: a removed (or leaving) user's devices dropped every chain, and the others dropped its own.
      const gone = before.filter((u) => !(u in next.members))
      if (gone.length) await ctx.store.senderKeys.dropUsers(conversation.id, gone)
      if (requests.length) await openInviteRequests(ctx, o.conversation, self.userId, requests)
      announce(ctx, o, before, s.socket.id)
      return o
    })
    return { conversation: out.conversation }
  },
}

export const rosterFetch: Handler<'roster.fetch'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const conversation = await memberOf(ctx, f.conversationId, me(s).userId)
    if (conversation.kind !== 'group') throw new ForbiddenError('only a group has a roster')
    const limit = f.limit ?? 100
    const rows = await ctx.store.rosterRecords(conversation.id, f.after ?? 0, limit + 1)
    return { records: rows.slice(0, limit), more: rows.length > limit }
  },
}
