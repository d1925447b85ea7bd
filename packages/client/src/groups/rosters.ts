/**
 * Roster pins (docs/groups.md): the verified roster of every group this device is in. The
 * client believes only records that verify (`applyRosterRecord` from `@parley/crypto`: the
 * chain, the version, the signer's device key from its user's verified device list, the
 * signer's authority) and what the server says is only compared with them:
 * - a record at a version this device holds must have the held hash, else `fork` when it is
 *   validly signed and chains to the held record before it (proof), `bad_signature` /
 *   `bad_chain` otherwise;
 * - a record ahead of the next version makes this device fetch the missing ones and verify
 *   them; none given: `gap`;
 * - a conversation described at a lower roster version than pinned: `rollback`; at the same
 *   version with other members: `mismatch`; at a higher one: the missing records are fetched
 *   and verified first (`gap` when withheld);
 * - a group message carries its sender's roster head; ahead of the pin: caught up as above;
 *   another hash at a held version: `head_mismatch` naming the sender (no proof of a fork).
 * Every refusal is a `RosterRejectedError` and leaves the pinned roster as it was.
 */
import {
  ROSTER_GENESIS, RosterRejectedError, type ConversationInfo, type DeviceAddress, type RosterHead, type RosterRecord,
} from '@parley/protocol'
import { applyRosterRecord, emptyRoster, rosterHash, rosterMembers, verifyRosterSignature, type RosterState } from '@parley/crypto'
import type { ClientCore } from '../core.js'
import type { JsonValue } from '../key-store/key-store.js'
import { json } from '../store-layout.js'
import { Mutex } from '../util.js'
import { SK, dropSenderKeysOf } from './sender-key-store.js'
import { withOpenedTitle } from './group-title.js'

/** Most records one fetch asks for. */
export const ROSTER_FETCH_PAGE = 100

/** What a device keeps per group: the verified state and the hash of every version it applied. */
export interface RosterPin {
  state: RosterState
  heads: Record<string, string>
  /** Per user, the last version whose record removed it (or where it left): a removal and re-add applied in one catch-up still drops its chains. */
  removedAt?: Record<string, number>
}

/** `pin.removedAt` with the users `state` no longer lists (compared with `pin`) marked at its version. */
export function removalsAfter(pin: RosterPin, state: RosterState): Record<string, number> | undefined {
  const removed = Object.keys(pin.state.members).filter((u) => !(u in state.members))
  if (removed.length === 0) return pin.removedAt
  return { ...pin.removedAt, ...Object.fromEntries(removed.map((u) => [u, state.version])) }
}

/** Store key of a group's roster pin. */
export const rosterKey = (conversationId: string) => `roster/${conversationId}`

/** The signing key of a device, from its user's verified device list (undefined when not listed). */
export type SigningKeyOf = (device: DeviceAddress) => Promise<string | undefined>

const reject = (conversationId: string, reason: NonNullable<RosterRejectedError['details']['reason']>, message: string, version?: number) =>
  new RosterRejectedError(message, { conversationId, reason, ...(version !== undefined ? { version } : {}) })

export class Rosters {
  private readonly pins = new Map<string, RosterPin>()
  /**
   * Serializes every advance of a pin (inbox deliveries, this device's own changes, first
   * sight). Never held while waiting for the crypto lock, so the inbox may take it inside that lock.
   */
  private readonly mutex = new Mutex()

  constructor(private readonly core: ClientCore, private readonly signingKeyOf: SigningKeyOf) {}

  /** The pinned roster of a group, from memory or the store. */
  async pin(conversationId: string, changes?: Record<string, JsonValue | null>): Promise<RosterPin | null> {
    const key = rosterKey(conversationId)
    if (changes && key in changes) return (changes[key] as unknown as RosterPin | null) ?? null
    const hit = this.pins.get(conversationId)
    if (hit) return hit
    const stored = (await this.core.store.get<JsonValue>(key)) as RosterPin | null
    if (stored) this.pins.set(conversationId, stored)
    return stored
  }

  /** The pinned state held in memory (after `pin()` loaded it), or null. */
  cached(conversationId: string): RosterState | null {
    return this.pins.get(conversationId)?.state ?? null
  }

  /** Applies a verified record to a pin (no I/O but the signer's device list). @throws {RosterRejectedError} */
  async verify(pin: RosterPin, record: RosterRecord): Promise<RosterPin> {
    const key = (await this.signingKeyOf({ userId: record.userId, deviceId: record.deviceId }).catch(() => undefined)) ?? null
    const state = withOpenedTitle(this.core, record, pin.state, applyRosterRecord(pin.state, record, key))
    const removedAt = removalsAfter(pin, state)
    return { state, heads: { ...pin.heads, [String(state.version)]: state.head }, ...(removedAt ? { removedAt } : {}) }
  }

  /** Runs `fn` alone among pin advances. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    return this.mutex.run(fn)
  }

  /**
   * Stores a pin and makes it current (call inside {@link run}). The sender-key chains of
   * members it no longer lists (removed, left) are dropped with it: nothing they send is read.
   */
  async save(pin: RosterPin): Promise<void> {
    const id = pin.state.conversationId
    const prior = (await this.pin(id))?.state
    const before = prior?.members ?? {}
    const changes: Record<string, JsonValue | null> = { [rosterKey(id)]: json(pin) }
    // Gone: not listed any more, or removed by a record this save applies (and re-added since: its old chains are dropped all the same).
    const removedSince = Object.entries(pin.removedAt ?? {}).filter(([, v]) => v > (prior?.version ?? 0)).map(([u]) => u)
    const gone = [...new Set([...Object.keys(before).filter((u) => !(u in pin.state.members)), ...removedSince])]
    await dropSenderKeysOf(this.core.store, id, gone, changes)
    // This user removed (or left): its own chain goes too, since the others dropped it; if re-added it starts a new one.
    if (gone.includes(this.core.self().userId)) changes[SK.own(id)] = null
    await this.core.store.saveChanges(changes)
    this.pins.set(id, pin)
  }

  /**
   * Fetches and verifies the records after what this device holds, up to `upTo` (all when
   * absent). Returns the new pin (not yet stored).
   * @throws {RosterRejectedError} a record fails, or the server withholds records it announced (`gap`).
   */
  async catchUp(conversationId: string, from: RosterPin | null, upTo?: number, applied?: { record: RosterRecord; pin: RosterPin }[]): Promise<RosterPin> {
    let pin: RosterPin = from ?? { state: emptyRoster(conversationId), heads: {} }
    for (;;) {
      if (upTo !== undefined && pin.state.version >= upTo) return pin
      const page = await this.core.conn.request('roster.fetch', { conversationId, after: pin.state.version, limit: ROSTER_FETCH_PAGE })
      for (const { record } of page.records) {
        if (upTo !== undefined && record.version > upTo) return pin
        pin = await this.verify(pin, record)
        applied?.push({ record, pin })
      }
      if (!page.more || page.records.length === 0) break
    }
    if (pin.state.version === 0) throw reject(conversationId, 'gap', 'the server gave no roster for this group')
    if (upTo !== undefined && pin.state.version < upTo) throw reject(conversationId, 'gap', `the server withholds roster records up to version ${upTo}`, upTo)
    return pin
  }

  /**
   * A `roster` delivery: the pin it leads to, or null when this device holds that record
   * already (a duplicate). Records missing before it are fetched and verified first.
   * @throws {RosterRejectedError} `fork` for another record at a held version, or any failure.
   */
  async onRecord(conversationId: string, record: RosterRecord, changes: Record<string, JsonValue | null>): Promise<RosterPin | null> {
    if (record.conversationId !== conversationId) throw reject(conversationId, 'invalid_change', 'the roster record names another conversation', record.version)
    let pin = await this.pin(conversationId, changes)
    const held = pin?.heads[String(record.version)]
    if (held !== undefined) {
      if (held === rosterHash(record)) return null
      // A fork only with proof: the other record chains to the one this device holds before it
      // and is signed by a listed device of its signer (junk is just a bad record).
      const prev = record.version === 1 ? ROSTER_GENESIS : pin!.heads[String(record.version - 1)]
      if (prev !== undefined && record.prev !== prev) throw reject(conversationId, 'bad_chain', 'the roster record does not chain to the record this device holds before it', record.version)
      const key = await this.signingKeyOf({ userId: record.userId, deviceId: record.deviceId }).catch(() => undefined)
      if (!key || !verifyRosterSignature(record, key)) throw reject(conversationId, 'bad_signature', 'the roster record is not signed by a listed device of its signer', record.version)
      throw reject(conversationId, 'fork', `the server delivered another validly signed roster record at version ${record.version} than this device holds: the server shows members different rosters`, record.version)
    }
    if (!pin || record.version > pin.state.version + 1) pin = await this.catchUp(conversationId, pin, record.version - 1)
    return this.verify(pin, record)
  }

  /**
   * A chain fetched on first sight against the head a linking device verified.
   * @throws {RosterRejectedError} `rollback` when the chain stops before that version, `fork` when it holds another record there.
   */
  checkAnchor(pin: RosterPin, anchor: { version: number; head: string }, conversationId: string): void {
    const held = pin.heads[String(anchor.version)]
    if (held === undefined) throw reject(conversationId, 'rollback', `the server's roster stops at version ${pin.state.version}; the linking device verified version ${anchor.version}`, pin.state.version)
    if (held !== anchor.head) throw reject(conversationId, 'fork', `the server's roster holds another signed record at version ${anchor.version} than the linking device verified`, anchor.version)
  }

  /**
   * Brings the pin up to `version` when something (a member's roster head, the server's
   * `rosterVersion`) says the chain is ahead of it: fetches the missing records and verifies
   * each, stores the pin, and returns it with the records applied (none when not behind). A
   * server that cannot produce the records leaves the pin as it was.
   * @throws {RosterRejectedError} `gap` when the records are withheld, or any failure of a record.
   */
  async advanceTo(conversationId: string, version: number): Promise<{ pin: RosterPin; applied: { record: RosterRecord; pin: RosterPin }[] } | null> {
    return this.run(async () => {
      const pin = await this.pin(conversationId)
      if (!pin) return null
      const applied: { record: RosterRecord; pin: RosterPin }[] = []
      if (pin.state.version >= version) return { pin, applied }
      const next = await this.catchUp(conversationId, pin, version, applied)
      await this.save(next)
      return { pin: next, applied }
    })
  }

  /**
   * Compares the server's description of a group with the pin (brought up to the described
   * version first: see {@link advanceTo}).
   * @throws {RosterRejectedError} `rollback` or `mismatch`.
   */
  checkInfo(pin: RosterPin, info: ConversationInfo): void {
    const id = info.id
    const v = info.rosterVersion ?? 0
    if (v < pin.state.version) throw reject(id, 'rollback', `the server describes roster version ${v}; this device verified version ${pin.state.version}`, v)
    if (v === pin.state.version && JSON.stringify([...info.members].sort()) !== JSON.stringify(rosterMembers(pin.state))) {
      throw reject(id, 'mismatch', 'the server names other members than the signed roster; the verified members stay', v)
    }
  }

  /**
   * A group message's roster head (its sender's, brought up to first: see {@link advanceTo})
   * against the pin. A hash other than the one held at that version is not proof of a server
   * fork — the sender's client may be faulty or lying — so it is reported as `head_mismatch`
   * naming the sender; `fork` is kept for two validly signed records at one version.
   * @throws {RosterRejectedError} `head_mismatch`, or `gap` when the head is still ahead.
   */
  checkHead(pin: RosterPin, head: RosterHead | undefined, conversationId: string, sender: DeviceAddress): void {
    if (!head) return
    if (head.version > pin.state.version) {
      throw reject(conversationId, 'gap', `${sender.userId}'s message names roster version ${head.version}; the server gives this device only up to ${pin.state.version}`, head.version)
    }
    const held = head.version === 0 ? ROSTER_GENESIS : pin.heads[String(head.version)]
    if (held !== undefined && held !== head.head) {
      throw new RosterRejectedError(
        `${sender.userId} (device ${sender.deviceId}) names another roster record at version ${head.version} than this device verified: either the server showed them another chain or their client is faulty`,
        { conversationId, version: head.version, userId: sender.userId, reason: 'head_mismatch' },
      )
    }
  }
}
