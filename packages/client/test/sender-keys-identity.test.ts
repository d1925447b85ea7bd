/**
 * A user's identity key changed (a reinstall) and the app accepted it: the chains received from
 * that user's devices were the old install's, so they are dropped (its old chain no longer reads),
 * and this device's own chains given to that user's devices are retired (the new install never
 * received them; the next send starts a new chain and distributes it). Other users' chains stay.
 */
import { expect, it } from 'vitest'
import type { SignedDeviceList } from '@parley/protocol'
import { memoryKeyStore } from '../src/key-store/memory.js'
import { Directory } from '../src/sessions/directory.js'
import { Mutex } from '../src/util.js'
import { K, json } from '../src/store-layout.js'
import { SK } from '../src/groups/sender-key-store.js'
import type { ClientCore } from '../src/core.js'

it('acceptIdentity drops the user\'s received chains and retires own chains given to it', async () => {
  const store = memoryKeyStore()
  const core = { store, lock: new Mutex(), self: () => ({ userId: 'alice', deviceId: 'a1' }) } as unknown as ClientCore
  const list = { userId: 'bob' } as unknown as SignedDeviceList
  const chain = { keyId: 1 }
  await store.saveChanges({
    [K.peer('bob')]: json({ userId: 'bob', identityKey: 'old', deviceList: list, pending: { identityKey: 'new', deviceList: list, seenAt: 1 } }),
    [SK.peer('g_1', { userId: 'bob', deviceId: 'b1' })]: json({ chains: [chain] }),
    [SK.peer('g_1', { userId: 'carol', deviceId: 'c1' })]: json({ chains: [chain] }),
    [SK.own('g_1')]: json({ state: chain, distributedTo: ['bob\nb1', 'carol\nc1'] }),
    [SK.own('g_2')]: json({ state: chain, distributedTo: ['carol\nc1'] }),
  })
  expect(await new Directory(core).acceptIdentity('bob')).toBe(true)
  expect(await store.get(SK.peer('g_1', { userId: 'bob', deviceId: 'b1' }))).toBeNull()
  expect(await store.get(SK.peer('g_1', { userId: 'carol', deviceId: 'c1' }))).not.toBeNull()
  expect(await store.get(SK.own('g_1'))).toMatchObject({ retired: true })
  expect(await store.get(SK.own('g_2'))).not.toHaveProperty('retired')
})
