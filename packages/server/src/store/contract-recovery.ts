/**
 * Conformance tests for issue 17 (docs/recovery.md): every backend stores a conversation's
 * disappearing-messages setting only at the next version (compare-and-set across nodes) and
 * returns it with the conversation; and resets a user's identity (pin and device list
 * forgotten, devices inactive, prekeys gone, conversations and messages kept) so a new
 * identity can register. The store does not verify signatures (the server does, first), so
 * settings here carry placeholder signatures. Not part of the public entry point (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import type { DisappearingSetting } from '@parley/protocol'
import { addr, b64, bind, makeUser, pairIn, plain, registration, rejects, withFreshStore } from './_contract-fixtures.js'
import type { ParleyStore } from './store.js'

const setting = (conversationId: string, userId: string, version: number, ms: number | null): DisappearingSetting => ({
  conversationId, ms, version, userId, deviceId: 'd0', ts: 5, signature: b64(64),
})

/**
 * Registers the recovery tests for one backend. `open` returns a fresh, empty store.
 * @example recoveryContract('memory', async () => memoryStore())
 */
export function recoveryContract(name: string, open: () => Promise<ParleyStore>): void {
  describe(`ParleyStore recovery contract: ${name}`, () => {
    const withStore = withFreshStore(open)

    it('stores a disappearing setting only at the next version and returns it with the conversation', () => withStore(async (s) => {
      const { a, b, c } = await pairIn(s)
      expect(c.disappearing).toBeUndefined()
      expect(await rejects(s.setDisappearing(setting(c.id, a.userId, 2, 60_000)))).toBe('disappearing_rejected')
      const v1 = setting(c.id, a.userId, 1, 60_000)
      expect((await s.setDisappearing(v1)).disappearing).toEqual(v1)
      expect(await rejects(s.setDisappearing(setting(c.id, b.userId, 1, 5_000)))).toBe('disappearing_rejected')
      const v2 = setting(c.id, b.userId, 2, null)
      await s.setDisappearing(v2)
      expect((await s.getConversation(c.id))!.disappearing).toEqual(v2)
      expect((await s.listConversations(a.userId))[0]!.disappearing).toEqual(v2)
      expect(await rejects(s.setDisappearing(setting('missing', a.userId, 1, 60_000)))).toBe('not_found')
    }))

    it('resets an identity: pin and devices forgotten, prekeys gone, conversation and messages kept; a new identity registers', () => withStore(async (s) => {
      const { a, b, c } = await pairIn(s, 'server-side', 2, 1)
      await s.appendMessages([plain(c.id, addr(a, 0))], bind, 100)
      expect((await s.resetIdentity(a.userId)).devices).toEqual(['d0', 'd1'])
      expect(await s.getUser(a.userId)).toBeNull()
      expect(await s.claimBundles(a.userId)).toBeNull()
      expect(await s.listDevices(a.userId)).toEqual([])
      expect((await s.getDevice(a.userId, 'd0'))?.active).toBe(false)
      // A lost device holds the old identity's secret: it may not pin that key back, under any
      // device id, in the window before the user's new device registers (decision 0023).
      const lost = { ...a, devices: [{ ...makeUser(2).devices[0]!, deviceId: 'lost' }] }
      lost.list = { userId: a.userId, version: a.list.version + 1, devices: lost.devices, signature: b64(64) }
      expect(await rejects(s.registerDevice(registration(lost, 0)))).toBe('identity_changed')
      expect(await s.getUser(a.userId)).toBeNull()
      expect(await s.getDevice(a.userId, 'lost')).toBeNull()
      // The new identity (a new key, a new device, list version 1) registers.
      const fresh = makeUser(1)
      const again = { ...fresh, userId: a.userId, devices: [{ ...fresh.devices[0]!, deviceId: 'n0' }] }
      again.list = { userId: a.userId, version: 1, devices: again.devices, signature: b64(64) }
      await s.registerDevice(registration(again, 0))
      expect((await s.getUser(a.userId))!.identityKey).toBe(again.key)
      expect((await s.listDevices(a.userId)).map((d) => d.deviceId)).toEqual(['n0'])
      // The old identity may not come back now that a new one is pinned.
      expect(await rejects(s.registerDevice(registration(a, 0)))).toBe('identity_changed')
      // A second reset abandons the new key too.
      await s.resetIdentity(a.userId)
      expect(await s.getUser(a.userId)).toBeNull()
      expect(await rejects(s.registerDevice(registration(again, 0)))).toBe('identity_changed')
      expect(await s.getUser(a.userId)).toBeNull()
      // Conversations and history stay (server-side history survives a reset).
      expect((await s.listConversations(a.userId)).map((x) => x.id)).toEqual([c.id])
      expect(await s.history(c.id, addr(b, 0), undefined, 10, 200)).toHaveLength(1)
      expect((await s.resetIdentity('nobody')).devices).toEqual([])
    }))

    it('a reset\'s ticket: the new identity registers only with it, once, before it expires; wrong ones are counted (decision 0024)', () => withStore(async (s) => {
      const { a } = await pairIn(s, 'server-side', 1, 1)
      const fresh = (deviceId: string) => {
        const f = makeUser(1)
        const u = { ...f, userId: a.userId, devices: [{ ...f.devices[0]!, deviceId }] }
        u.list = { userId: a.userId, version: 1, devices: u.devices, signature: b64(64) }
        return u
      }
      const withTicket = (u: ReturnType<typeof fresh>, resetTicketHash?: string, now = 1_000) => ({ ...registration(u, 0), now, ...(resetTicketHash ? { resetTicketHash } : {}) })
      expect(await s.resetTickets.get(a.userId)).toBeNull()
      await s.resetIdentity(a.userId, { hash: 'a'.repeat(64), expiresAt: 5_000 })
      expect(await s.resetTickets.get(a.userId)).toEqual({ hash: 'a'.repeat(64), expiresAt: 5_000, attempts: 0 })
      // A lost device's key: no ticket, a wrong one, or the right one too late.
      const thief = fresh('thief')
      for (const [hash, now, reason] of [[undefined, 1_000, 'missing'], ['b'.repeat(64), 1_000, 'invalid'], ['a'.repeat(64), 5_001, 'expired']] as const) {
        const e = await s.registerDevice(withTicket(thief, hash, now)).then(() => null, (x: unknown) => x)
        expect((e as { code: string; details: { reason: string } }).code).toBe('reset_ticket')
        expect((e as { details: { reason: string } }).details.reason).toBe(reason)
      }
      expect(await s.getUser(a.userId)).toBeNull()
      expect(await s.getDevice(a.userId, 'thief')).toBeNull()
      expect(await s.resetTickets.fail(a.userId)).toBe(1)
      expect(await s.resetTickets.fail('nobody')).toBe(0)
      // The user's device, with the ticket: registers, and the ticket is gone.
      const user = fresh('n0')
      await s.registerDevice(withTicket(user, 'a'.repeat(64)))
      expect((await s.getUser(a.userId))!.identityKey).toBe(user.key)
      expect(await s.resetTickets.get(a.userId)).toBeNull()
      // A reset again: a new ticket replaces nothing used; attempts start over; many wrong tickets
      // are counted but never burn it (a lost device must not block the user's recovery).
      await s.resetIdentity(a.userId, { hash: 'c'.repeat(64), expiresAt: 5_000 })
      for (let i = 0; i < 20; i++) await s.resetTickets.fail(a.userId)
      expect((await s.resetTickets.get(a.userId))!.attempts).toBe(20)
      await s.resetIdentity(a.userId, { hash: 'd'.repeat(64), expiresAt: 5_000 })
      expect((await s.resetTickets.get(a.userId))!.attempts).toBe(0)
      for (let i = 0; i < 20; i++) await s.resetTickets.fail(a.userId)
      expect(await rejects(s.registerDevice(withTicket(fresh('n1'), 'c'.repeat(64))))).toBe('reset_ticket')
      await s.registerDevice(withTicket(fresh('n2'), 'd'.repeat(64)))
      expect((await s.listDevices(a.userId)).map((d) => d.deviceId)).toEqual(['n2'])
    }))
  })
}
