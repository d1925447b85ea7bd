/**
 * The conversation registry: every conversation this device knows, with its mode pin. It
 * merges what the server says (`conversation` frames, `open`, `list`) with what this device
 * pinned, never lowers a pin, surfaces a downgrade attempt as `DowngradeRejectedError`, and
 * performs the signed one-way upgrade to E2EE.
 */
import {
  DowngradeRejectedError, ForbiddenError, MemberMismatchError, NotFoundError, PolicyViolationError, RosterRejectedError, highestMode,
  type ConversationInfo, type ModeChange, type RosterRecord,
} from '@parley/protocol'
import { rosterMembers } from '@parley/crypto'
import type { RosterPin, Rosters } from '../groups/rosters.js'
import { emitMembers, membersEvent } from '../groups/group-ops.js'
import { signModeChange } from '@parley/crypto'
import { Conversation, type ConversationHost } from './conversation.js'
import type { ClientCore } from '../core.js'
import type { JsonValue } from '../key-store/key-store.js'
import { K, json, type ConversationRecord } from '../store-layout.js'
import type { ModeEventPayload } from '../types.js'

/** A `mode` frame as the registry handles it. */
export interface ModeEvent {
  conversationId: string
  encryption: 'server-side' | 'e2ee'
  modeChange?: ModeChange
  seq?: number
}

/** Conversations of this device, keyed by id, with their pinned modes. */
export class ConversationRegistry {
  private readonly convos = new Map<string, Conversation>()
  /** The conversation id pinned for each member set: an honest server has one 1:1 per pair. */
  private readonly byMembers = new Map<string, string>()
  private readonly downgradeWarned = new Set<string>()
  private readonly refusals = new Map<string, Promise<void>>()
  /** The merge in progress per id: merges of one id run one after another (one object per id). */
  private readonly applying = new Map<string, Promise<Conversation>>()
  /** This device's upgrades awaiting the server's ack, per conversation id. */
  private readonly upgrading = new Map<string, Promise<void>>()
  private refreshRun: Promise<void> | null = null
  /**
   * Catches the inbox up with the server (best effort: offline, the pin goes ahead). Called
   * before an upgrade is pinned, so the readable messages committed before it are processed
   * first — the pin itself never trusts a server seq.
   */
  catchUp: () => Promise<void> = async () => {}
  private refreshNext: Promise<void> | null = null
  /** Group roster pins (set by the client before use). */
  rosters: Rosters | null = null

  /**
   * @param verifyModeChange true when a signed mode change is signed by a listed device of
   *   its user (may fetch that user's device list; called inside the crypto lock).
   */
  constructor(
    private readonly core: ClientCore,
    private readonly host: () => ConversationHost,
    private readonly verifyModeChange: (mc: ModeChange) => Promise<boolean> = async () => false,
  ) {}

  /** A conversation this device already knows, by id. */
  get(id: string): Conversation | undefined {
    return this.convos.get(id)
  }

  /** Number of conversations this device knows. */
  get size(): number {
    return this.convos.size
  }

  /**
   * Re-reads every conversation from the server (`conversation.list`) and merges it: a
   * reconnect, or an `upgrade_required` / `policy_changed` notice, may have changed
   * `upgradeRequired` (the policy moved) or the mode. A call while one runs waits for a
   * fresh run after it (calls in between share that run).
   */
  refresh(): Promise<void> {
    if (this.refreshNext) return this.refreshNext
    const start = (): Promise<void> => {
      this.refreshNext = null
      const run: Promise<void> = this.refreshNow().finally(() => {
        if (this.refreshRun === run) this.refreshRun = null
      })
      this.refreshRun = run
      return run
    }
    if (!this.refreshRun) return start()
    this.refreshNext = this.refreshRun.catch(() => undefined).then(start)
    return this.refreshNext
  }

  private async refreshNow(): Promise<void> {
    const { conversations } = await this.core.conn.request('conversation.list', {})
    await this.applyAll(conversations)
  }

  /** Loads the conversations this device pinned (start-up). */
  async load(): Promise<void> {
    const store = this.core.store
    for (const key of await store.keys(K.conversationPrefix)) {
      const rec = (await store.get<JsonValue>(key)) as ConversationRecord | null
      if (!rec) continue
      const members = rec.members ?? rec.info.members
      // A group linked from another device but not yet verified here waits for first sight (mergeGroup).
      const roster = rec.info.kind === 'group' ? ((await this.rosters?.pin(rec.info.id))?.state ?? null) : null
      if (rec.info.kind === 'group' && !roster) continue
      const c = new Conversation(this.host(), { ...rec.info, members }, rec.pinned)
      this.convos.set(rec.info.id, c)
      if (rec.info.kind === 'group') c._roster = roster
      else this.byMembers.set(membersKey(members), rec.info.id)
    }
  }

  /** The stored record of a conversation, or null. */
  async record(id: string): Promise<ConversationRecord | null> {
    return (await this.core.store.get<JsonValue>(K.conversation(id))) as ConversationRecord | null
  }

  /**
   * Merges what the server says about a conversation into the pin; emits `conversation` /
   * `mode`. Merges of one id are serialized: concurrent calls for a new id (a `list()` racing
   * an `open()`, a `conversation` frame) all resolve to the same `Conversation` object.
   */
  applyInfo(info: ConversationInfo): Promise<Conversation> {
    const before = this.applying.get(info.id)
    const run = (before ? before.catch(() => undefined) : Promise.resolve()).then(() => this.merge(info))
    this.applying.set(info.id, run)
    const clear = () => {
      if (this.applying.get(info.id) === run) this.applying.delete(info.id)
    }
    run.then(clear, clear)
    return run
  }

  private async merge(info: ConversationInfo): Promise<Conversation> {
    const existing = this.convos.get(info.id)
    const rec = await this.record(info.id)
    const pinnedKind = rec?.info.kind ?? existing?._info.kind
    if (pinnedKind !== undefined && pinnedKind !== info.kind) {
      throw new MemberMismatchError('the server re-announced a conversation as another kind; the pinned one stays', { conversationId: info.id })
    }
    if (info.kind === 'group') return this.mergeGroup(info, existing, rec)
    // Identity is pinned on first sight: the server may not move a 1:1 to other members, nor
    // announce one this user is not in. (Signed group rosters will move `members` later.)
    const pinnedMembers = rec?.members ?? rec?.info.members ?? existing?._info.members
    if (pinnedMembers ? membersKey(pinnedMembers) !== membersKey(info.members) : !info.members.includes(this.host().selfUserId())) {
      throw new MemberMismatchError(
        pinnedMembers ? 'the server re-announced a conversation with different members; the pinned members stay' : 'the server announced a conversation this user is not a member of',
        { conversationId: info.id },
      )
    }
    const members = [...(pinnedMembers ?? info.members)]
    // A second id for a pair this device already holds would start a fresh (server-side) copy
    // of a pinned conversation: refused.
    const pairId = this.byMembers.get(membersKey(members))
    if (!pinnedMembers && pairId !== undefined && pairId !== info.id) {
      throw new MemberMismatchError('the server announced a second conversation for members this device already has a conversation with', { conversationId: info.id })
    }
    const seen = existing ? highestMode(existing.encryption, info.encryption) : info.encryption
    const pinned = highestMode(highestMode(rec?.pinned ?? 'server-side', seen), this.core.minimumMode())
    const pinnedInfo: ConversationInfo = { ...info, members }
    const next: ConversationRecord = {
      info: pinnedInfo, members, pinned, firstSeenAt: rec?.firstSeenAt ?? this.core.now(), ...(rec?.modeChange ? { modeChange: rec.modeChange } : {}),
    }
    // The server's copy of the signed record is kept only when it verifies and its signer is a member.
    if (!rec?.modeChange && info.modeChange && (await this.trustedModeChange(info.modeChange, info.id, members))) next.modeChange = info.modeChange
    await this.core.store.set(K.conversation(info.id), json(next))
    this.byMembers.set(membersKey(members), info.id)
    let c = existing
    if (!c) {
      c = new Conversation(this.host(), pinnedInfo, pinned)
      this.convos.set(info.id, c)
      this.core.events.emit('conversation', c)
    } else {
      c._info = pinnedInfo
      const before = c._pinned
      c._pinned = pinned
      if (before !== pinned) this.emitMode(c, { conversationId: c.id, encryption: pinned })
    }
    if (pinned === 'e2ee' && info.encryption === 'server-side' && this.core.minimumMode() !== 'e2ee' && !this.downgradeWarned.has(info.id)) {
      this.downgradeWarned.add(info.id)
      this.core.reportError({ error: new DowngradeRejectedError('the server describes an end-to-end encrypted conversation as server-side; it stays E2EE', { conversationId: info.id }), conversationId: info.id })
    }
    return c
  }

  /**
   * A group as the server describes it, merged with this device's verified roster (docs/groups.md):
   * on first sight the whole signed chain is fetched and verified; afterwards the server's
   * description is only compared with the pin (`rollback`, `mismatch` reported as `'error'`),
   * which moves only with verified records. Mode pinning is as for a 1:1.
   */
  private async mergeGroup(info: ConversationInfo, existing: Conversation | undefined, rec: ConversationRecord | null): Promise<Conversation> {
    const rosters = this.rosters!
    let rosterError: unknown
    let applied: { record: RosterRecord; pin: RosterPin }[] = []
    let pin = await rosters.pin(info.id)
    if (!pin) {
      pin = await rosters.run(async () => {
        const held = await rosters.pin(info.id)
        if (held) return held
        const fetched = await rosters.catchUp(info.id, null)
        if (rec?.rosterAnchor) rosters.checkAnchor(fetched, rec.rosterAnchor, info.id)
        await rosters.save(fetched)
        return fetched
      })
    } else {
      try {
        // Described ahead of the pin: this device missed records (a server may be freezing its
        // roster); fetch and verify them, then compare at that version.
        const described = info.rosterVersion ?? 0
        if (described > pin.state.version) {
          const advanced = await rosters.advanceTo(info.id, described)
          if (advanced) ({ pin, applied } = { pin: advanced.pin, applied: advanced.applied })
        }
        rosters.checkInfo(pin, info)
      } catch (e) {
        // Refused a fetch: this user was just removed, and the removal record is on its way
        // (a server withholding it gains nothing it could not by sending no description).
        if (!ForbiddenError.isInstance(e)) rosterError = e
      }
    }
    const members = rosterMembers(pin.state)
    const self = this.host().selfUserId()
    if (!existing && !rec && !members.includes(self)) {
      throw new MemberMismatchError('the server announced a group whose signed roster does not include this user', { conversationId: info.id })
    }
    const seen = existing ? highestMode(existing.encryption, info.encryption) : info.encryption
    // The signed chain's mode is a floor the server's unsigned `encryption` cannot lower (docs/groups.md).
    const signedMode = pin.state.mode ?? 'server-side'
    const pinned = highestMode(highestMode(highestMode(rec?.pinned ?? 'server-side', seen), this.core.minimumMode()), signedMode)
    // An emptied group has no members: never the server's list.
    const pinnedInfo: ConversationInfo = { ...info, members, rosterVersion: pin.state.version }
    const next: ConversationRecord = {
      info: pinnedInfo, members, pinned, firstSeenAt: rec?.firstSeenAt ?? this.core.now(), ...(rec?.modeChange ? { modeChange: rec.modeChange } : {}),
    }
    const admins = members.filter((u) => pin!.state.members[u] === 'admin')
    if (!rec?.modeChange && info.modeChange && (await this.trustedModeChange(info.modeChange, info.id, admins))) next.modeChange = info.modeChange
    await this.core.store.set(K.conversation(info.id), json(next))
    let c = existing
    if (!c) {
      c = new Conversation(this.host(), pinnedInfo, pinned)
      c._roster = pin.state
      this.convos.set(info.id, c)
      this.core.events.emit('conversation', c)
    } else {
      c._info = pinnedInfo
      if (!c._roster || c._roster.version < pin.state.version) c._roster = pin.state
      const before = c._pinned
      c._pinned = pinned
      if (before !== pinned) this.emitMode(c, { conversationId: c.id, encryption: pinned })
    }
    for (const step of applied) emitMembers(this.core, c, membersEvent(step.pin, step.record))
    if (rosterError) this.core.reportError({ error: rosterError as RosterRejectedError, conversationId: info.id })
    if (pinned === 'e2ee' && info.encryption === 'server-side' && this.core.minimumMode() !== 'e2ee' && !this.downgradeWarned.has(info.id)) {
      this.downgradeWarned.add(info.id)
      this.core.reportError({ error: new DowngradeRejectedError('the server describes an end-to-end encrypted group as server-side; it stays E2EE', { conversationId: info.id }), conversationId: info.id })
    }
    return c
  }

  /**
   * True when `mc` is about conversation `id`, signed by a listed device of its user, and that
   * user is a member (of a group: an admin, by the verified roster).
   */
  async trustedModeChange(mc: ModeChange, id: string, members: readonly string[]): Promise<boolean> {
    const c = this.convos.get(id)
    if (c?.kind === 'group') members = c.admins
    if (mc.conversationId !== id || mc.to !== 'e2ee' || !members.includes(mc.userId)) return false
    return this.verifyModeChange(mc).catch(() => false)
  }

  /**
   * Merges each conversation the server listed; one it describes falsely (other members) is
   * reported as an `'error'` event and left out, so one bad entry cannot hide the others.
   */
  private async applyAll(conversations: ConversationInfo[], only?: (info: ConversationInfo) => boolean): Promise<Conversation[]> {
    const out: Conversation[] = []
    for (const info of conversations) {
      if (only && !only(info)) continue
      try {
        out.push(await this.applyInfo(info))
      } catch (e) {
        if (!MemberMismatchError.isInstance(e) && !RosterRejectedError.isInstance(e)) throw e
        this.core.reportError({ error: e, conversationId: info.id })
      }
    }
    return out
  }

  /** The conversation `id`, asking the server for the list when this device does not know it. */
  async ensure(id: string): Promise<Conversation> {
    const known = this.convos.get(id)
    if (known) return known
    const { conversations } = await this.core.conn.request('conversation.list', {})
    await this.applyAll(conversations, (info) => !this.convos.has(info.id))
    const c = this.convos.get(id)
    if (!c) throw new NotFoundError(`conversation "${id}" is unknown`, { resource: 'conversation', id })
    return c
  }

  /**
   * Pins e2ee because the server refused a readable frame (the conversation is E2EE there),
   * after catching the inbox up so the readable messages committed before the upgrade are
   * processed first. One at a time per conversation.
   */
  pinRefused(c: Conversation): Promise<void> {
    if (c.encryption === 'e2ee') return Promise.resolve()
    let p = this.refusals.get(c.id)
    if (!p) {
      p = (async () => {
        await this.catchUp().catch(() => undefined)
        await this.pinNow(c, undefined)
      })().finally(() => this.refusals.delete(c.id))
      this.refusals.set(c.id, p)
    }
    return p
  }

  /** Pins `c` to e2ee now (with `mc` when a verified record is known), under the crypto lock. */
  private pinNow(c: Conversation, mc: ConversationRecord['modeChange']): Promise<void> {
    return this.core.lock.run(async () => {
      const changes: Record<string, JsonValue | null> = {}
      const emit = await this.pinChanges(c, mc, changes)
      await this.core.store.saveChanges(changes)
      emit()
    })
  }

  /** The store changes that pin `c` to e2ee; the returned function applies them in memory and emits `mode`. */
  async pinChanges(c: Conversation, mc: ConversationRecord['modeChange'], changes: Record<string, JsonValue | null>): Promise<() => void> {
    const rec = (await this.record(c.id)) ?? { info: c._info, pinned: c._pinned }
    const wasE2ee = rec.pinned === 'e2ee' || c._pinned === 'e2ee'
    const next: ConversationRecord = { ...rec, pinned: 'e2ee' }
    if (mc && !rec.modeChange) next.modeChange = mc
    changes[K.conversation(c.id)] = json(next)
    return () => {
      c._pinned = 'e2ee'
      // One event per transition: a signed record learned later (the delivery after the
      // `mode` frame, or the other way round) is stored, not announced again.
      if (!wasE2ee) {
        const payload: ModeEventPayload = { conversationId: c.id, encryption: 'e2ee' }
        if (mc) {
          payload.modeChange = mc
          payload.by = { userId: mc.userId, deviceId: mc.deviceId }
        }
        this.emitMode(c, payload)
      }
    }
  }

  private emitMode(c: Conversation, payload: ModeEventPayload): void {
    c._emit('mode', payload)
    this.core.events.emit('mode', payload)
  }

  /**
   * A `mode` frame: pins upward; a downgrade is refused and surfaced. The frame's signed
   * record, when it verifies, attributes the `mode` event (`by`). A frame about this device's
   * own upgrade waits for that upgrade, which pins with its own record.
   */
  async onModeEvent(m: ModeEvent): Promise<void> {
    const c = await this.ensure(m.conversationId)
    if (m.encryption === 'server-side') {
      if (c.encryption === 'e2ee') {
        this.core.reportError({ error: new DowngradeRejectedError('the server tried to switch an end-to-end encrypted conversation back to server-side', { conversationId: c.id }), conversationId: c.id })
      }
      return
    }
    await this.upgrading.get(c.id)?.catch(() => {})
    // Pinning upward needs no proof (it can only protect more); the record is only kept when
    // it verifies (the `mode_change` delivery is verified again when it arrives).
    const offered = m.modeChange && !(await this.record(c.id))?.modeChange ? m.modeChange : undefined
    const mc = offered && (await this.trustedModeChange(offered, c.id, c.members)) ? offered : undefined
    await this.pinNow(c, mc)
  }

  /** Opens (or finds) the 1:1 conversation with `peerUserId`. */
  async open(peerUserId: string): Promise<Conversation> {
    if (typeof peerUserId !== 'string' || peerUserId.length === 0) throw new TypeError('"peerUserId" expected a non-empty string')
    await this.core.whenReady()
    const { conversation } = await this.core.conn.request('conversation.open', { peerUserId })
    const self = this.host().selfUserId()
    if (!conversation.members.includes(peerUserId) || !conversation.members.includes(self) || (peerUserId === self) !== (conversation.members[0] === conversation.members[1])) {
      throw new MemberMismatchError(`the server answered open("${peerUserId}") with a conversation of other members`, { conversationId: conversation.id, userId: peerUserId })
    }
    const c = await this.applyInfo(conversation)
    // minimumMode 'e2ee': a conversation the server holds as server-side is upgraded now (or refused).
    if (this.core.minimumMode() === 'e2ee' && c._info.encryption !== 'e2ee') await this.upgrade(c)
    return c
  }

  /** Every conversation of this user, from the server, merged with the pins. */
  async list(): Promise<Conversation[]> {
    await this.core.whenReady()
    const { conversations } = await this.core.conn.request('conversation.list', {})
    return this.applyAll(conversations)
  }

  /** Sends the signed one-way ModeChange and pins e2ee (one upgrade in flight per conversation). */
  upgrade(c: Conversation): Promise<void> {
    if (c.encryption === 'e2ee' && !(this.core.minimumMode() === 'e2ee' && c._info.encryption !== 'e2ee')) return Promise.resolve()
    let p = this.upgrading.get(c.id)
    if (!p) {
      p = this.upgradeNow(c).finally(() => this.upgrading.delete(c.id))
      this.upgrading.set(c.id, p)
    }
    return p
  }

  private async upgradeNow(c: Conversation): Promise<void> {
    await this.core.whenReady()
    const manifest = this.core.manifest()!
    if (manifest.policy === 'server-side') throw new PolicyViolationError('the server policy "server-side" does not allow end-to-end encryption', { policy: manifest.policy })
    const self = this.core.self()
    const modeChange = signModeChange(self.device, { conversationId: c.id, from: 'server-side', to: 'e2ee', userId: self.userId, deviceId: self.deviceId, ts: this.core.now() })
    const { conversation } = await this.core.conn.request('mode.upgrade', { modeChange })
    await this.catchUp().catch(() => undefined)
    await this.pinNow(c, modeChange)
    await this.applyInfo(conversation)
  }
}

/** The member set as a map key (sorted). */
function membersKey(members: readonly string[]): string {
  return JSON.stringify([...members].sort())
}
