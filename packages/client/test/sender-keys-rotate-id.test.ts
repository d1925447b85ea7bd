/**
 * `rotate()` (a coverage refusal) must not let the next chain reuse the refused chain's id: a
 * receiver holding a chain by that id would keep its old one (a distribution never replaces a
 * held chain) and could not read the new chain. `createSenderKey` is made to draw the same id
 * twice, as a 32-bit random id eventually does.
 */
import { expect, it, vi } from 'vitest'
import type { DeviceAddress } from '@parley/protocol'

const draws = vi.hoisted(() => ({ forced: 2 }))
vi.mock('@parley/crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('@parley/crypto')>()
  return {
    ...real,
    createSenderKey: () => {
      const s = real.createSenderKey()
      if (draws.forced <= 0) return s
      draws.forced--
      return { ...s, keyId: 42 }
    },
  }
})

const { memoryKeyStore } = await import('../src/key-store/memory.js')
const { senderKeys } = await import('../src/groups/sender-keys.js')

it('after rotate() the next chain never reuses the refused chain\'s id', async () => {
  const store = memoryKeyStore()
  const core = { store, self: () => ({ userId: 'alice', deviceId: 'a1' }), provider: async () => undefined } as never
  const sessions = {
    async encryptFor(targets: DeviceAddress[]) {
      return { envelopes: targets.map((t) => ({ ...t, type: 'message' as const, ciphertext: 'AAAA' })), missing: [] }
    },
  } as never
  const protocol = senderKeys(core, sessions, { listedKeys: async () => new Map() } as never)
  const send = async () => {
    const changes = {}
    const out = await protocol.encrypt({ conversationId: 'g_1', targets: [{ userId: 'bob', deviceId: 'b1' }], plaintext: new Uint8Array([1]), changes })
    await store.saveChanges(changes)
    return out
  }
  const first = await send()
  expect(first.senderKey!.keyId).toBe(42) // control: the forced id was drawn
  const changes = {}
  await protocol.rotate!({ conversationId: 'g_1', changes })
  await store.saveChanges(changes)
  const next = await send()
  expect(draws.forced).toBe(0) // control: the same id was drawn again
  expect(next.senderKey!.keyId).not.toBe(42)
  expect(next.envelopes).toHaveLength(1)
})
