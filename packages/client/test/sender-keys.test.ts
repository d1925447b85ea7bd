/**
 * The sending half of sender keys (`src/groups/sender-keys.ts`, docs/groups.md) against a
 * stand-in for the pairwise sessions: distribution goes only to devices lacking the chain, and
 * the chain rotates exactly when a device it was given is no longer in the targets (a member
 * removed or left, or — this test — a device dropped from its user's verified device list);
 * adding a device rotates nothing. End-to-end: packages/tests/test/groups/groups-sender-keys.test.ts.
 */
import { describe, expect, it } from 'vitest'
import type { DeviceAddress } from '@parley/protocol'
import { memoryKeyStore } from '../src/key-store/memory.js'
import { senderKeys } from '../src/groups/sender-keys.js'
import type { ClientCore } from '../src/core.js'
import type { Sessions } from '../src/sessions/sessions.js'
import type { Directory } from '../src/sessions/directory.js'

const d = (userId: string, deviceId: string): DeviceAddress => ({ userId, deviceId })

function setup() {
  const store = memoryKeyStore()
  const reported: unknown[] = []
  const core = { store, self: () => ({ userId: 'alice', deviceId: 'a1' }), provider: async () => undefined, reportError: (e: unknown) => reported.push(e) } as unknown as ClientCore
  // The verified device lists: every device under key 'k1' unless a test lists it under another.
  const keys = new Map<string, string>()
  const directory = {
    async listedKeys(userIds: Iterable<string>) {
      void userIds
      return keys
    },
  } as unknown as Directory
  const distributed: string[][] = []
  const sessions = {
    async encryptFor(targets: DeviceAddress[]) {
      distributed.push(targets.map((t) => `${t.userId}/${t.deviceId}`))
      return { envelopes: targets.map((t) => ({ ...t, type: 'message' as const, ciphertext: 'AAAA' })), missing: [] }
    },
  } as unknown as Sessions
  const protocol = senderKeys(core, sessions, directory)
  const send = async (targets: DeviceAddress[]) => {
    for (const t of targets) if (!keys.has(`${t.userId}\n${t.deviceId}`)) keys.set(`${t.userId}\n${t.deviceId}`, 'k1')
    const changes = {}
    const out = await protocol.encrypt({ conversationId: 'g_1', targets, plaintext: new Uint8Array([1, 2, 3]), changes })
    await store.saveChanges(changes)
    return out
  }
  return { send, distributed, protocol, store, keys, reported }
}

describe('sender keys: distribution and rotation', () => {
  it('distributes once per chain per device; a new device gets the current chain; a dropped device rotates it', async () => {
    const { send, distributed } = setup()
    const first = await send([d('bob', 'b1'), d('bob', 'b2'), d('carol', 'c1')])
    const second = await send([d('bob', 'b1'), d('bob', 'b2'), d('carol', 'c1')])
    const added = await send([d('bob', 'b1'), d('bob', 'b2'), d('carol', 'c1'), d('dave', 'd1')])
    expect(second.envelopes).toEqual([])
    expect(added.senderKey!.keyId).toBe(first.senderKey!.keyId)
    const revoked = await send([d('bob', 'b1'), d('carol', 'c1'), d('dave', 'd1')]) // bob's b2 left his device list
    expect(revoked.senderKey!.keyId).not.toBe(first.senderKey!.keyId)
    expect(distributed).toEqual([['bob/b1', 'bob/b2', 'carol/c1'], ['dave/d1'], ['bob/b1', 'carol/c1', 'dave/d1']])
    const removed = await send([d('bob', 'b1'), d('dave', 'd1')]) // carol removed
    expect(removed.senderKey!.keyId).not.toBe(revoked.senderKey!.keyId)
    expect(removed.envelopes.map((e) => e.userId)).toEqual(['bob', 'dave'])
  })

  it('a holder listed again under its device id with new keys rotates the chain (decision 0022), with a typed error event', async () => {
    const { send, distributed, keys, reported } = setup()
    const first = await send([d('bob', 'b1'), d('carol', 'c1')])
    const same = await send([d('bob', 'b1'), d('carol', 'c1')])
    expect(same.senderKey!.keyId).toBe(first.senderKey!.keyId) // control: unchanged keys rotate nothing
    keys.set('bob\nb1', 'k2') // bob's b1 came back with new keys, same device id
    const next = await send([d('bob', 'b1'), d('carol', 'c1')])
    expect(next.senderKey!.keyId).not.toBe(first.senderKey!.keyId)
    expect(distributed).toEqual([['bob/b1', 'carol/c1'], ['bob/b1', 'carol/c1']])
    expect(reported).toEqual([expect.objectContaining({ error: expect.objectContaining({ code: 'device_keys_changed', details: expect.objectContaining({ userId: 'bob', deviceId: 'b1', action: 'rotated' }) }) })])
    const after = await send([d('bob', 'b1'), d('carol', 'c1')])
    expect(after.senderKey!.keyId).toBe(next.senderKey!.keyId) // the new keys were recorded: no second rotation
  })

  it('rotate() forgets the chain: the next send distributes a new one to every device', async () => {
    const { send, protocol, store } = setup()
    const first = await send([d('bob', 'b1')])
    const changes = {}
    await protocol.rotate!({ conversationId: 'g_1', changes })
    await store.saveChanges(changes)
    const next = await send([d('bob', 'b1')])
    expect(next.senderKey!.keyId).not.toBe(first.senderKey!.keyId)
    expect(next.envelopes).toHaveLength(1)
  })
})
