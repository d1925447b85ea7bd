/**
 * Where a device keeps its sender-key chains (docs/groups.md, decision 0014), in its
 * {@link KeyStore} so they survive a restart: its own chain per group (with the devices it was
 * distributed to) and, per group and per sending member device, the chains it received.
 * Reads go through a batch's staged `changes` first, so a batch sees its own writes.
 */
import type { DeviceAddress } from '@parley/protocol'
import type { SenderKeyState } from '@parley/crypto'
import type { JsonValue, KeyStore } from '../key-store/key-store.js'

/** Chains kept per sending member device: the current one and the one before a rotation (messages sent on it may still be in flight). */
export const MAX_SENDER_KEY_CHAINS_PER_DEVICE = 2

const enc = (s: string) => encodeURIComponent(s)
/** Key builders of the sender-key records. */
export const SK = {
  own: (conversationId: string) => `skey-own/${conversationId}`,
  peerPrefix: (conversationId: string, userId: string) => `skey/${conversationId}/${enc(userId)}/`,
  peer: (conversationId: string, a: DeviceAddress) => `skey/${conversationId}/${enc(a.userId)}/${enc(a.deviceId)}`,
} as const

/** This device's chain in one group and the devices it was distributed to (`userId\ndeviceId`). */
export interface OwnSenderKeyRecord {
  state: SenderKeyState
  distributedTo: string[]
}

/** The chains received from one member device of one group, newest first. */
export interface PeerSenderKeyRecord {
  chains: SenderKeyState[]
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
