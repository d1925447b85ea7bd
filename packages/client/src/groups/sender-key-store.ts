/**
 * Where a device keeps its sender-key chains (docs/groups.md, decision 0014), in its
 * {@link KeyStore} so they survive a restart: its own chain per group (with the devices it was
 * distributed to) and, per group and per sending member device, the chains it received.
 * Reads go through a batch's staged `changes` first, so a batch sees its own writes.
 */
import type { DeviceAddress } from '@parley/protocol'
import type { SenderKeyState } from '@parley/crypto'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'
import { json } from '../store-layout.js'

/** Chains kept per sending member device: the current one and the one before a rotation (messages sent on it may still be in flight). */
export const MAX_SENDER_KEY_CHAINS_PER_DEVICE = 2

const enc = (s: string) => encodeURIComponent(s)
/** Key builders of the sender-key records. */
export const SK = {
  own: (conversationId: string) => `skey-own/${conversationId}`,
  peerPrefix: (conversationId: string, userId: string) => `skey/${conversationId}/${enc(userId)}/`,
  peer: (conversationId: string, a: DeviceAddress) => `skey/${conversationId}/${enc(a.userId)}/${enc(a.deviceId)}`,
} as const

/** The group and member of a received-chain key (`SK.peer`), or null for any other key. */
export function peerKeyOwner(key: string): { conversationId: string; userId: string } | null {
  if (!key.startsWith('skey/')) return null
  const parts = key.slice('skey/'.length).split('/')
  if (parts.length < 3) return null
  return { conversationId: parts.slice(0, -2).join('/'), userId: decodeURIComponent(parts[parts.length - 2]!) }
}

/**
 * Unstages every received chain of a user the current pin no longer lists (call inside
 * `Rosters.run`, just before writing): a batch that staged a chain step before the removal
 * was applied (a roster caught up mid-delivery, or by another path) must not write back the
 * chain the removal dropped (docs/groups.md, decision 0014).
 */
export async function unstageNonMembers(changes: Changes, membersOf: (conversationId: string) => Promise<Record<string, unknown> | null>): Promise<void> {
  for (const key of Object.keys(changes)) {
    const owner = changes[key] === null ? null : peerKeyOwner(key)
    if (!owner) continue
    const members = await membersOf(owner.conversationId)
    if (members && !(owner.userId in members)) changes[key] = null
  }
}

/** This device's chain in one group and the devices it was distributed to (`userId\ndeviceId`). */
export interface OwnSenderKeyRecord {
  state: SenderKeyState
  distributedTo: string[]
  /** Set by `rotate()`: the next send starts a new chain (kept until then so the new id differs from this one). */
  retired?: boolean
  /**
   * Per device in `distributedTo`, the identity key its signed device list named when it was
   * given the chain: a device listed later under the same id with other keys is a new device,
   * and the chain rotates (decision 0022). Absent for chains stored before this field.
   */
  deviceKeys?: Record<string, string>
}

/** The chains received from one member device of one group, newest first. */
export interface PeerSenderKeyRecord {
  chains: SenderKeyState[]
  /**
   * Per chain id, the identity key the sending device had in its signed device list when its
   * distribution was opened: a message on that chain from a device now listed with other keys
   * is refused (decision 0022). Absent for chains stored before this field.
   */
  deviceKeys?: Record<string, string>
}

export type Changes = Record<string, JsonValue | null>

/** `userId\ndeviceId`. */
export const deviceKey = (d: DeviceAddress) => `${d.userId}\n${d.deviceId}`

/** A record as the batch sees it: staged in `changes`, else stored. */
export async function readStaged<T>(store: KeyStore, key: string, changes: Changes): Promise<T | null> {
  const v = key in changes ? changes[key] : await store.get<JsonValue>(key)
  return (v ?? null) as T | null
}

/** Stages the removal of every chain received from `userIds` in a group (they left or were removed). */
export async function dropSenderKeysOf(store: KeyStore, conversationId: string, userIds: readonly string[], changes: Changes): Promise<void> {
  for (const u of userIds) for (const key of await store.keys(SK.peerPrefix(conversationId, u))) changes[key] = null
}

/**
 * Stages forgetting `userId`'s sender-key state in every group after its identity key changed
 * (`acceptIdentity`): the chains received from its devices (they were the old install's) and,
 * retired, this device's own chains given to its devices (the new install never received them,
 * and the next send distributes a new chain to it).
 */
export async function forgetChainsOfIdentity(store: KeyStore, userId: string, changes: Changes): Promise<void> {
  for (const key of await store.keys('skey/')) if (peerKeyOwner(key)?.userId === userId) changes[key] = null
  for (const key of await store.keys('skey-own/')) {
    const own = (await store.get<JsonValue>(key)) as OwnSenderKeyRecord | null
    if (own && own.distributedTo.some((d) => d.startsWith(`${userId}\n`))) changes[key] = json({ ...own, retired: true } satisfies OwnSenderKeyRecord)
  }
}
