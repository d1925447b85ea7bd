/**
 * The `SafetyStore` conformance suite (`store.safety`), and the one append rule the safety
 * controls add (`NewMessage.withheldFrom`). Every backend runs exactly these tests
 * (`test/store-safety.test.ts`: memory, PGlite, PostgreSQL). Not part of the public entry point
 * (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import { ParleyError, type DeviceAddress } from '@parley/protocol'
import { b64, bind, e2ee, plain, uid, withFreshStore } from './_contract-fixtures.js'
import type { ParleyStore } from './store.js'
import type { SafetyStore } from './safety-store.js'

/** One `pairs` query. */
async function pair(k: SafetyStore, a: string, b: string, conversationId?: string) {
  return (await k.pairs([{ a, b, ...(conversationId !== undefined ? { conversationId } : {}) }]))[0]!
}

/** Registers a user with `devices` devices; returns its id and device addresses. */
async function user(s: ParleyStore, devices = 1): Promise<{ userId: string; devices: DeviceAddress[] }> {
  const userId = `u-${uid()}`
  const list = Array.from({ length: devices }, (_, i) => ({ deviceId: `d${i}`, signingKey: b64(32), identityKey: b64(32) }))
  const deviceList = { userId, version: 1, devices: list, signature: b64(64) }
  const key = b64(32)
  for (const d of list) {
    await s.registerDevice({
      userId, userIdentityKey: key, deviceList, ...d, now: 1,
      signedPreKey: { id: 1, publicKey: b64(32), signature: b64(64) },
      kemLastResortPreKey: { id: 1000, publicKey: b64(1184), signature: b64(64) },
      oneTimePreKeys: [], kemOneTimePreKeys: [],
    })
  }
  return { userId, devices: list.map((d) => ({ userId, deviceId: d.deviceId })) }
}

/**
 * Registers the safety conformance tests for one backend. `open` returns a fresh, empty store.
 * @example safetyContract('memory', async () => memoryStore())
 */
export function safetyContract(name: string, open: () => Promise<ParleyStore>): void {
  describe(`SafetyStore contract: ${name}`, () => {
    const withStore = withFreshStore(open)
    async function conversation(s: ParleyStore, mode: 'server-side' | 'e2ee' = 'server-side', devicesA = 2, devicesB = 2) {
      const a = await user(s, devicesA)
      const b = await user(s, devicesB)
      const { conversation: c } = await s.openDirectConversation({ id: `c-${uid()}`, userIds: [a.userId, b.userId], mode, upgradeRequired: false, now: 5 })
      return { a, b, c }
    }

    it('blocks are idempotent (the first since stays), one-directional, and listed in pages by user id', () => withStore(async (s) => {
      const k = s.safety
      expect(await k.block('ann', 'zed', 100)).toEqual({ since: 100, created: true })
      expect(await k.block('ann', 'zed', 200)).toEqual({ since: 100, created: false })
      for (const [u, t] of [['bob', 110], ['Carl', 120], ['dan', 130], ['bob-2', 140]] as const) await k.block('ann', u, t)
      await k.block('other', 'bob', 150)
      // Byte order: upper case first, then '-' (0x2d) sorts before letters.
      expect((await k.listBlocked('ann', undefined, 10)).map((b) => b.userId)).toEqual(['Carl', 'bob', 'bob-2', 'dan', 'zed'])
      expect(await k.listBlocked('ann', undefined, 2)).toEqual([{ userId: 'Carl', since: 120 }, { userId: 'bob', since: 110 }])
      expect(await k.listBlocked('ann', 'bob', 2)).toEqual([{ userId: 'bob-2', since: 140 }, { userId: 'dan', since: 130 }])
      expect(await k.listBlocked('ann', 'zed', 2)).toEqual([])
      expect(await k.listBlocked('nobody', undefined, 10)).toEqual([])
      expect(await pair(k, 'ann', 'zed')).toEqual({ aBlocksB: true, bBlocksA: false, request: null })
      expect(await pair(k, 'zed', 'ann')).toEqual({ aBlocksB: false, bBlocksA: true, request: null })
      await k.block('zed', 'ann', 300)
      expect(await pair(k, 'ann', 'zed')).toEqual({ aBlocksB: true, bBlocksA: true, request: null })
      expect(await k.unblock('ann', 'zed')).toEqual({ removed: true })
      expect(await k.unblock('ann', 'zed')).toEqual({ removed: false })
      expect(await pair(k, 'ann', 'zed')).toEqual({ aBlocksB: false, bBlocksA: true, request: null })
      // A new block after an unblock starts a new period.
      expect(await k.block('ann', 'zed', 400)).toEqual({ since: 400, created: true })
    }))

    it('pairs answers many queries in one call, each in its place', () => withStore(async (s) => {
      const k = s.safety
      await k.block('ann', 'bob', 1)
      await k.block('cat', 'ann', 2)
      await k.openRequest({ conversationId: 'c-1', recipient: 'ann', requester: 'dan', now: 3 })
      const request = { conversationId: 'c-1', recipient: 'ann', requester: 'dan', state: 'pending', since: 3 }
      expect(await k.pairs([])).toEqual([])
      expect(await k.pairs([
        { a: 'ann', b: 'bob' }, { a: 'bob', b: 'ann', conversationId: 'c-1' }, { a: 'ann', b: 'cat' }, { a: 'ann', b: 'dan', conversationId: 'c-1' },
        { a: 'ann', b: 'bob' }, { a: 'eve', b: 'fay', conversationId: 'c-2' },
      ])).toEqual([
        { aBlocksB: true, bBlocksA: false, request: null },
        { aBlocksB: false, bBlocksA: true, request },
        { aBlocksB: false, bBlocksA: true, request: null },
        { aBlocksB: false, bBlocksA: false, request },
        { aBlocksB: true, bBlocksA: false, request: null },
        { aBlocksB: false, bBlocksA: false, request: null },
      ])
    }))

    it('mutes are per user and conversation, idempotent, and listed in pages', () => withStore(async (s) => {
      const k = s.safety
      expect(await k.setMuted('ann', 'c-2', true, 10)).toEqual({ changed: true })
      expect(await k.setMuted('ann', 'c-2', true, 20)).toEqual({ changed: false })
      await k.setMuted('ann', 'c-1', true, 30)
      await k.setMuted('ann', 'c-3', true, 40)
      await k.setMuted('bob', 'c-2', true, 50)
      expect(await k.isMuted('ann', 'c-2')).toBe(true)
      expect(await k.isMuted('ann', 'c-9')).toBe(false)
      expect(await k.listMuted('ann', undefined, 2)).toEqual([{ conversationId: 'c-1', since: 30 }, { conversationId: 'c-2', since: 10 }])
      expect(await k.listMuted('ann', 'c-2', 5)).toEqual([{ conversationId: 'c-3', since: 40 }])
      expect(await k.setMuted('ann', 'c-2', false, 60)).toEqual({ changed: true })
      expect(await k.setMuted('ann', 'c-2', false, 70)).toEqual({ changed: false })
      expect(await k.isMuted('ann', 'c-2')).toBe(false)
      expect(await k.isMuted('bob', 'c-2')).toBe(true)
    }))

    it('a request is opened once per conversation and moves only from the states given, for its recipient', () => withStore(async (s) => {
      const k = s.safety
      const first = await k.openRequest({ conversationId: 'c-1', recipient: 'ann', requester: 'eve', now: 10 })
      expect(first).toEqual({ created: true, request: { conversationId: 'c-1', recipient: 'ann', requester: 'eve', state: 'pending', since: 10 } })
      // A second open (either side) keeps the first request unchanged.
      expect(await k.openRequest({ conversationId: 'c-1', recipient: 'eve', requester: 'ann', now: 20 })).toEqual({ created: false, request: first.request })
      expect((await pair(k, 'ann', 'eve', 'c-1')).request).toEqual(first.request)
      expect((await pair(k, 'ann', 'eve', 'c-other')).request).toBeNull()
      // Wrong recipient, a state not in `from`, an unknown conversation: null, nothing written.
      expect(await k.moveRequest({ conversationId: 'c-1', recipient: 'eve', from: ['pending'], to: 'accepted', now: 30 })).toBeNull()
      expect(await k.moveRequest({ conversationId: 'c-1', recipient: 'ann', from: ['declined'], to: 'accepted', now: 30 })).toBeNull()
      expect(await k.moveRequest({ conversationId: 'c-none', recipient: 'ann', from: ['pending'], to: 'accepted', now: 30 })).toBeNull()
      expect((await pair(k, 'ann', 'eve', 'c-1')).request).toEqual(first.request)
      const declined = { conversationId: 'c-1', recipient: 'ann', requester: 'eve', state: 'declined', since: 40 }
      expect(await k.moveRequest({ conversationId: 'c-1', recipient: 'ann', from: ['pending', 'declined'], to: 'declined', now: 40 })).toEqual({ request: declined, changed: true })
      expect(await k.moveRequest({ conversationId: 'c-1', recipient: 'ann', from: ['pending', 'declined'], to: 'declined', now: 50 })).toEqual({ request: declined, changed: false })
      expect(await k.moveRequest({ conversationId: 'c-1', recipient: 'ann', from: ['declined'], to: 'pending', now: 60 })).toEqual({ request: { ...declined, state: 'pending', since: 60 }, changed: true })
      expect(await k.moveRequest({ conversationId: 'c-1', recipient: 'ann', from: ['pending', 'declined'], to: 'accepted', now: 70 })).toEqual({ request: { ...declined, state: 'accepted', since: 70 }, changed: true })
      // An accepted request is closed: it cannot be accepted again, and opening keeps it accepted.
      expect(await k.moveRequest({ conversationId: 'c-1', recipient: 'ann', from: ['pending', 'declined'], to: 'accepted', now: 80 })).toBeNull()
      expect((await k.openRequest({ conversationId: 'c-1', recipient: 'ann', requester: 'eve', now: 90 })).request.state).toBe('accepted')
    }))

    it('lists the open (pending or declined) requests a user received, in pages by conversation id', () => withStore(async (s) => {
      const k = s.safety
      for (const [c, from] of [['c-3', 'x'], ['c-1', 'y'], ['c-2', 'z'], ['c-4', 'w']] as const) await k.openRequest({ conversationId: c, recipient: 'ann', requester: from, now: 10 })
      await k.openRequest({ conversationId: 'c-5', recipient: 'bob', requester: 'ann', now: 10 })
      await k.moveRequest({ conversationId: 'c-2', recipient: 'ann', from: ['pending'], to: 'declined', now: 20 })
      await k.moveRequest({ conversationId: 'c-4', recipient: 'ann', from: ['pending'], to: 'accepted', now: 20 })
      expect((await k.listRequests('ann', undefined, 10)).map((r) => [r.conversationId, r.requester, r.state])).toEqual([
        ['c-1', 'y', 'pending'], ['c-2', 'z', 'declined'], ['c-3', 'x', 'pending'],
      ])
      expect((await k.listRequests('ann', 'c-1', 1)).map((r) => r.conversationId)).toEqual(['c-2'])
      expect((await k.listRequests('bob', undefined, 10)).map((r) => r.conversationId)).toEqual(['c-5'])
      expect(await k.listRequests('x', undefined, 10)).toEqual([])
    }))

    it('withheld messages are recorded per user, idempotently', () => withStore(async (s) => {
      const { a, b, c } = await conversation(s)
      const [m1, m2] = await s.appendMessages([plain(c.id, a.devices[0]!), plain(c.id, a.devices[0]!)], bind, 10)
      const id1 = (m1 as { message: { id: string } }).message.id
      const id2 = (m2 as { message: { id: string } }).message.id
      await s.safety.withhold(id1, [b.userId])
      await s.safety.withhold(id1, [b.userId, b.userId])
      expect(await s.safety.withheldAmong(b.userId, [id1, id2, 'm-unknown'])).toEqual([id1])
      expect(await s.safety.withheldAmong(a.userId, [id1, id2])).toEqual([])
      expect(await s.safety.withheldAmong(b.userId, [])).toEqual([])
    }))

    it('append: a message withheld from a user gets no inbox row on that user\'s devices, only on the others', () => withStore(async (s) => {
      const { a, b, c } = await conversation(s, 'server-side', 2, 2)
      const [out] = await s.appendMessages([{ ...plain(c.id, a.devices[0]!), withheldFrom: [b.userId] }], bind, 10)
      expect(out!.ok).toBe(true)
      const ok = out as Extract<typeof out, { ok: true }>
      expect(ok.recipients.map((r) => `${r.userId}/${r.deviceId}`)).toEqual([`${a.userId}/d1`])
      expect(ok.message.seq).toBe(1)
      for (const d of b.devices) expect(await s.inboxAfter(d, 0, 10, 10)).toEqual([])
      expect((await s.inboxAfter(a.devices[1]!, 0, 10, 10)).map((r) => r.message.id)).toEqual([ok.message.id])
      // Control: without withheldFrom both of b's devices get it.
      const [next] = await s.appendMessages([plain(c.id, a.devices[0]!)], bind, 11)
      expect((next as { recipients: DeviceAddress[] }).recipients.filter((r) => r.userId === b.userId)).toHaveLength(2)
    }))

    it('append: E2EE coverage is checked against every device first — leaving the withheld user\'s envelopes out is refused', () => withStore(async (s) => {
      const { a, b, c } = await conversation(s, 'e2ee', 2, 2)
      const everyone = [a.devices[1]!, ...b.devices]
      const [full] = await s.appendMessages([{ ...e2ee(c.id, a.devices[0]!, everyone), withheldFrom: [b.userId] }], bind, 10)
      expect(full!.ok).toBe(true)
      expect((full as { recipients: DeviceAddress[] }).recipients.map((r) => r.userId)).toEqual([a.userId])
      for (const d of b.devices) expect(await s.inboxAfter(d, 0, 10, 10)).toEqual([])
      const [partial] = await s.appendMessages([{ ...e2ee(c.id, a.devices[0]!, [a.devices[1]!]), withheldFrom: [b.userId] }], bind, 11)
      expect(partial!.ok).toBe(false)
      const error = (partial as { error: unknown }).error
      expect(ParleyError.isInstance(error) && error.code).toBe('invalid_device_list')
      // Nothing of the refused message was written.
      expect((await s.inboxAfter(a.devices[1]!, 0, 10, 11)).map((r) => r.message.seq)).toEqual([1])
    }))
  })
}
