/**
 * The group operations the client and its conversations call (docs/groups.md): create a group
 * (its first roster record, signed by this device as admin) and sign and send a roster change.
 * Each change is checked locally with the rules every member runs before it leaves this device,
 * and applied to this device's pin only once the server stored it.
 */
import {
  ForbiddenError, MAX_GROUP_MEMBERS, MAX_TITLE_LENGTH, ROSTER_GENESIS, RosterRejectedError, UserIdSchema, parseWith,
  type RosterChange, type RosterRecord,
} from '@parley/protocol'
import { applyRosterRecord, emptyRoster, signRosterRecord } from '@parley/crypto'
import type { Conversation } from '../conversations/conversation.js'
import type { ClientCore } from '../core.js'
import type { MembersEventPayload } from '../types.js'
import { randomId } from '../util.js'
import type { Directory } from '../sessions/directory.js'
import { removalsAfter, type RosterPin, type Rosters } from './rosters.js'
import { sealChange, titleRecipients, withOpenedTitle } from './group-title.js'

/** Input of `client.conversations.create`. */
export interface CreateGroupInput {
  /** The other users to add (this user is added as admin). */
  members: readonly string[]
  /** The group's title (default `''`). */
  title?: string
}

/** What group operations need from the conversation registry. */
export interface GroupRegistry {
  applyInfo(info: import('@parley/protocol').ConversationInfo): Promise<Conversation>
  catchUp(): Promise<void>
  /** The signed one-way upgrade to E2EE (the creator is an admin, so it may). */
  upgrade(c: Conversation): Promise<void>
}

function checkUserIds(ids: unknown, name: string, max: number): string[] {
  if (!Array.isArray(ids)) throw new TypeError(`"${name}" expected an array of user ids`)
  if (ids.length > max) throw new RangeError(`"${name}" expected at most ${max} user ids, got ${ids.length}`)
  return ids.map((u, i) => {
    if (typeof u !== 'string') throw new TypeError(`"${name}[${i}]" expected a string`)
    return parseWith(UserIdSchema, u, `${name}[${i}]`)
  })
}

function checkTitle(title: unknown): string {
  if (typeof title !== 'string') throw new TypeError('"title" expected a string')
  if (title.length > MAX_TITLE_LENGTH) throw new RangeError(`"title" expected at most ${MAX_TITLE_LENGTH} characters, got ${title.length}`)
  return title
}

/** The `members` event of an applied record. */
export function membersEvent(pin: RosterPin, record: RosterRecord): MembersEventPayload {
  const s = pin.state
  return {
    conversationId: s.conversationId, version: s.version, members: Object.keys(s.members).sort(), roles: { ...s.members }, title: s.title,
    change: record.change, by: { userId: record.userId, deviceId: record.deviceId },
  }
}

/** Emits `members` on the conversation and the client. */
export function emitMembers(core: ClientCore, c: Conversation, payload: MembersEventPayload): void {
  c._emit('members', payload)
  core.events.emit('members', payload)
}

/**
 * Creates a group: signs its first roster record, has the server store it, pins it.
 * @throws {TypeError} / {RangeError} on bad input. @throws {GroupFullError} @throws {MessagingDeniedError} @throws {PeerBlockedError}
 */
export async function createGroup(core: ClientCore, rosters: Rosters, registry: GroupRegistry, directory: Directory, input: CreateGroupInput): Promise<Conversation> {
  if (input === null || typeof input !== 'object') throw new TypeError('"input" expected { members, title }')
  const others = checkUserIds(input.members, 'members', MAX_GROUP_MEMBERS - 1)
  const title = checkTitle(input.title ?? '')
  await core.whenReady()
  const self = core.self()
  const ids = [...new Set(others.filter((u) => u !== self.userId))]
  const conversationId = randomId('g_')
  // The mode the server creates groups in under its policy, signed into the chain (E2EE from the create record under default-e2ee).
  const mode = core.manifest()?.policy === 'default-e2ee' ? 'e2ee' as const : 'server-side' as const
  // An E2EE group's title is sealed to the members' devices (decision 0022). With minimumMode 'e2ee' a group the
  // server creates server-side is upgraded at once: its title is set after the upgrade, sealed, never readable.
  const deferTitle = mode !== 'e2ee' && core.minimumMode() === 'e2ee' && title !== ''
  const recipients = mode === 'e2ee' && title !== '' ? await titleRecipients(directory, [self.userId, ...ids]) : []
  const change = await sealChange(
    core,
    { action: 'create', title: deferTitle ? '' : title, mode, members: [{ userId: self.userId, role: 'admin' }, ...ids.map((userId) => ({ userId, role: 'member' as const }))] },
    { conversationId, version: 1, mode, currentTitle: '' }, recipients,
  )
  const record = signRosterRecord(self.device, { conversationId, version: 1, prev: ROSTER_GENESIS, userId: self.userId, deviceId: self.deviceId, ts: core.now(), change })
  const empty = emptyRoster(conversationId)
  const state = withOpenedTitle(core, record, empty, applyRosterRecord(empty, record, self.device.signing.publicKey))
  const { conversation } = await core.conn.request('conversation.create', { record })
  await rosters.run(async () => {
    if (!(await rosters.pin(conversationId))) await rosters.save({ state, heads: { '1': state.head } })
  })
  const c = await registry.applyInfo(conversation)
  // minimumMode 'e2ee': a group the server created server-side is upgraded by its creator now.
  if (core.minimumMode() === 'e2ee' && c._info.encryption !== 'e2ee') await registry.upgrade(c)
  if (deferTitle) await c.setTitle(title)
  return c
}

/**
 * Signs `change` as the next record of `c`'s roster, sends it, and applies it once stored.
 * @throws {ForbiddenError} `c` is a 1:1. @throws {RosterRejectedError} refused by the roster rules (locally or by the server: `stale` when another change got there first).
 */
export async function changeRoster(core: ClientCore, rosters: Rosters, registry: GroupRegistry, directory: Directory, c: Conversation, change: RosterChange): Promise<void> {
  if (c.kind !== 'group') throw new ForbiddenError('only a group has members to change')
  if (change.action === 'add' || change.action === 'remove') change = { action: change.action, userIds: checkUserIds(change.userIds, 'userIds', MAX_GROUP_MEMBERS) }
  // An add states the mode this device holds, so the new member takes it from the signed chain.
  if (change.action === 'add') change = { ...change, mode: c.encryption }
  if (change.action === 'title') change = { action: 'title', title: checkTitle(change.title) }
  if (change.action === 'role') {
    if (change.role !== 'admin' && change.role !== 'member') throw new TypeError('"role" expected \'admin\' or \'member\'')
    change = { action: 'role', userId: checkUserIds([change.userId], 'userId', 1)[0]!, role: change.role }
  }
  await core.whenReady()
  await registry.catchUp().catch(() => undefined) // apply what the server delivered first
  const self = core.self()
  // In an E2EE group a title goes sealed to every member device, and an add brings the added members the current title (decision 0022).
  const sealTo = c.encryption !== 'e2ee' ? [] : change.action === 'add' ? change.userIds : change.action === 'title' && change.title !== '' ? [...new Set([...c.members, self.userId])] : []
  const recipients = sealTo.length ? await titleRecipients(directory, sealTo) : []
  const applied = await rosters.run(async () => {
    const pin = await rosters.pin(c.id)
    if (!pin) throw new RosterRejectedError('this device holds no verified roster for the group', { conversationId: c.id, reason: 'gap' })
    const version = pin.state.version + 1
    const members = Object.keys(pin.state.members)
    const signed = await sealChange(core, change, { conversationId: c.id, version, mode: c.encryption, currentTitle: pin.state.title }, recipients.filter((r) => change.action === 'add' || members.includes(r.userId)))
    const record = signRosterRecord(self.device, {
      conversationId: c.id, version, prev: pin.state.head, change: signed, userId: self.userId, deviceId: self.deviceId, ts: core.now(),
    })
    const state = withOpenedTitle(core, record, pin.state, applyRosterRecord(pin.state, record, self.device.signing.publicKey)) // the rules every member runs, before sending
    const { conversation } = await core.conn.request('roster.append', { record })
    const removedAt = removalsAfter(pin, state)
    const next: RosterPin = { state, heads: { ...pin.heads, [String(state.version)]: state.head }, ...(removedAt ? { removedAt } : {}) }
    await rosters.save(next)
    c._roster = state
    return { next, record, conversation }
  })
  emitMembers(core, c, membersEvent(applied.next, applied.record))
  await registry.applyInfo(applied.conversation).catch((error) => core.reportError({ error, conversationId: c.id }))
}
