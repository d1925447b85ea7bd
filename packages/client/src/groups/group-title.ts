/**
 * E2EE group titles (docs/groups.md "Encrypted titles", decision 0022): in an E2EE group this
 * device seals a title to every device of the members it names (from their signed device
 * lists) inside the roster record, and reads a sealed title with its own identity key after the
 * record verified. A server-side group keeps a readable title.
 */
import type { EncryptionMode, RosterChange, RosterRecord, SealedTitle } from '@parley/protocol'
import { nobleProvider, openGroupTitle, sealGroupTitleWith, type RosterState, type TitleRecipient } from '@parley/crypto'
import type { ClientCore } from '../core.js'
import type { Directory } from '../sessions/directory.js'

/** The member devices of `userIds` a title is sealed to (every listed device, this one included). */
export async function titleRecipients(directory: Directory, userIds: readonly string[]): Promise<TitleRecipient[]> {
  const lists = await directory.deviceLists(userIds)
  return [...lists].flatMap(([userId, devices]) => devices.map((d) => ({ userId, deviceId: d.deviceId, identityKey: d.identityKey })))
}

/**
 * `change` as this device signs it in a group of `mode` at `version`: in an E2EE group a
 * non-empty title (`create`, `title`) is sealed to every device of the members, and an `add`
 * carries the current title sealed to the added members' devices (they cannot open the earlier
 * records). `recipients` are the member devices to seal to (see {@link titleRecipients}).
 */
export async function sealChange(
  core: ClientCore, change: RosterChange, ctx: { conversationId: string; version: number; mode: EncryptionMode; currentTitle: string }, recipients: TitleRecipient[],
): Promise<RosterChange> {
  if (ctx.mode !== 'e2ee') return change
  // On the provider: native X25519 where the runtime has it (one exchange per member device).
  const provider = (await core.provider()) ?? nobleProvider
  const seal = async (title: string): Promise<SealedTitle | undefined> => (title !== '' && recipients.length > 0 ? sealGroupTitleWith(provider, title, ctx, recipients) : undefined)
  if (change.action === 'create' || change.action === 'title') {
    const sealedTitle = await seal(change.title)
    return sealedTitle ? { ...change, title: '', sealedTitle } : change
  }
  if (change.action === 'add') {
    const sealedTitle = await seal(ctx.currentTitle)
    return sealedTitle ? { ...change, sealedTitle } : change
  }
  return change
}

/**
 * The state after a verified `record` as this device shows it: a sealed title it can open
 * replaces the empty readable one; an `add` it cannot open keeps the title it had, and a sealed
 * title it cannot open (not sealed to this device: a device linked since, or a member removed
 * before) reads as `''`.
 */
export function withOpenedTitle(core: ClientCore, record: RosterRecord, before: RosterState, state: RosterState): RosterState {
  const c = record.change
  const sealed = c.action === 'create' || c.action === 'title' || c.action === 'add' ? c.sealedTitle : undefined
  if (!sealed) return state
  const self = core.self()
  const opened = openGroupTitle(sealed, { conversationId: record.conversationId, version: record.version }, { userId: self.userId, deviceId: self.deviceId, identity: self.device.identity })
  return { ...state, title: opened ?? (c.action === 'add' ? before.title : '') }
}
