/**
 * The `PushStore` conformance suite (`store.push`). Every backend runs exactly these tests
 * (`test/store-push.test.ts`: memory, PGlite, PostgreSQL). Not part of the public entry point
 * (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import { MAX_PUSH_REGISTRATIONS, type PushRegistration } from '@parley/protocol'
import { uid } from './_contract-fixtures.js'
import type { ParleyStore } from './store.js'

const token = (id: string, t = `tok-${id}`): PushRegistration => ({ kind: 'token', id, provider: 'apns', token: t })
const webPush = (id: string, endpoint = `https://push.example/${id}`): PushRegistration => ({
  kind: 'web-push', id, subscription: { endpoint, keys: { p256dh: `B${'A'.repeat(86)}`, auth: 'A'.repeat(22) } },
})
const ids = (rs: PushRegistration[]) => rs.map((r) => r.id)

/**
 * Registers the push-store conformance tests for one backend. `open` returns a fresh, empty store.
 * @example pushContract('memory', async () => memoryStore())
 */
export function pushContract(name: string, open: () => Promise<ParleyStore>): void {
  describe(`PushStore contract: ${name}`, () => {
    it('stores, replaces by id, lists newest first per device, forgets; devices never see each other\'s', async () => {
      const s = await open()
      try {
        const a = { userId: `u-${uid()}`, deviceId: 'd1' }
        const a2 = { userId: a.userId, deviceId: 'd2' }
        const b = { userId: `u-${uid()}`, deviceId: 'd1' }
        expect(await s.push.forDevices([])).toEqual([])
        expect(await s.push.forDevices([a, b])).toEqual([[], []])
        expect(await s.push.register(a, webPush('w1'), 10, MAX_PUSH_REGISTRATIONS)).toBe(1)
        expect(await s.push.register(a, token('t1'), 11, MAX_PUSH_REGISTRATIONS)).toBe(2)
        expect(await s.push.register(b, token('t1', 'other'), 11, MAX_PUSH_REGISTRATIONS)).toBe(1)
        // Replacing an id keeps the count and moves it to the front, with its new content.
        expect(await s.push.register(a, webPush('w1', 'https://push.example/new'), 12, MAX_PUSH_REGISTRATIONS)).toBe(2)
        const [ra, rb, ra2] = await s.push.forDevices([a, b, a2])
        expect(ids(ra!)).toEqual(['w1', 't1'])
        expect((ra![0] as { subscription: { endpoint: string } }).subscription.endpoint).toBe('https://push.example/new')
        expect(ra![1]).toEqual(token('t1'))
        expect(rb).toEqual([token('t1', 'other')])
        expect(ra2).toEqual([])
        // What a caller does with a returned copy never reaches the store.
        ;(ra![1] as { token: string }).token = 'mutated'
        expect((await s.push.forDevices([a]))[0]![1]).toEqual(token('t1'))
        expect(await s.push.unregister(a, 't1')).toBe(true)
        expect(await s.push.unregister(a, 't1')).toBe(false)
        expect(await s.push.unregister(a2, 'w1')).toBe(false) // another device's id is not this one's
        expect(ids((await s.push.forDevices([a]))[0]!)).toEqual(['w1'])
        expect(await s.push.forDevices([b])).toEqual([[token('t1', 'other')]])
      } finally {
        await s.close()
      }
    })

    it('keeps at most `max` per device: the new one stays, the least recently registered go (also within one millisecond)', async () => {
      const s = await open()
      try {
        const a = { userId: `u-${uid()}`, deviceId: 'd1' }
        for (let i = 1; i <= MAX_PUSH_REGISTRATIONS; i++) expect(await s.push.register(a, token(`t${i}`), 100, MAX_PUSH_REGISTRATIONS)).toBe(i)
        // t1 is the oldest (same millisecond: arrival order decides), so it goes.
        expect(await s.push.register(a, token('t9'), 100, MAX_PUSH_REGISTRATIONS)).toBe(MAX_PUSH_REGISTRATIONS)
        expect(ids((await s.push.forDevices([a]))[0]!).sort()).toEqual(['t2', 't3', 't4', 't9'].slice(0, MAX_PUSH_REGISTRATIONS).sort())
        // Re-registering t2 makes it the newest: the next eviction takes t3.
        await s.push.register(a, token('t2'), 101, MAX_PUSH_REGISTRATIONS)
        await s.push.register(a, token('t10'), 101, MAX_PUSH_REGISTRATIONS)
        expect(ids((await s.push.forDevices([a]))[0]!)).toEqual(['t10', 't2', 't9', 't4'])
        // A smaller max (a server configured lower) trims at once, keeping the new one.
        expect(await s.push.register(a, token('t11'), 102, 1)).toBe(1)
        expect(ids((await s.push.forDevices([a]))[0]!)).toEqual(['t11'])
      } finally {
        await s.close()
      }
    })
  })
}
