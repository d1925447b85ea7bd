/**
 * The `ParleyStore` conformance suite. Every backend runs exactly these tests
 * (`test/store-*.test.ts`); a new backend is done when it passes them. Not part of the public
 * entry point (it imports vitest).
 */
import { describe, expect, it } from 'vitest'
import { ParleyError, StoreError, type VerifiedReport } from '@parley/protocol'
import { generateDataKey } from '@parley/crypto'
import { openReport, sealReport } from '../report-seal.js'
import { addr, b64, bind, code, e2ee, makeUser, pairIn, plain, registerAll, registration, rejects, uid, withFreshStore } from './_contract-fixtures.js'
import type { ParleyStore } from './store.js'
import { moderationContract } from './moderation-contract.js'

/**
 * Registers the conformance tests for one backend. `open` returns a fresh, empty store.
 * @example storeContract('memory', async () => memoryStore())
 */
export function storeContract(name: string, open: () => Promise<ParleyStore>): void {
  describe(`ParleyStore contract: ${name}`, () => {
    const withStore = withFreshStore(open)
    const pair = pairIn

    it('registers devices, pins the user key, refuses a different key and an older list', () => withStore(async (s) => {
      const u = makeUser(2, 2)
      await registerAll(s, u)
      expect((await s.getUser(u.userId))?.identityKey).toBe(u.key)
      expect((await s.listDevices(u.userId)).map((d) => d.deviceId)).toEqual(['d0', 'd1'])
      expect(await rejects(s.registerDevice({ ...registration(u, 0), userIdentityKey: b64(32) }))).toBe('identity_changed')
      expect(await rejects(s.registerDevice({ ...registration(u, 0), deviceList: { ...u.list, version: 1 } }))).toBe('invalid_device_list')
      expect(await s.getDevice(u.userId, 'nope')).toBeNull()
      expect(await s.getUser('nobody')).toBeNull()
    }))

    it('a newer device list deactivates devices it leaves out; stale versions are refused', () => withStore(async (s) => {
      const u = makeUser(2)
      await registerAll(s, u)
      await s.setDeviceList(u.userId, { ...u.list, version: 2, devices: [u.devices[0]!] })
      expect((await s.listDevices(u.userId)).map((d) => d.deviceId)).toEqual(['d0'])
      expect((await s.getDevice(u.userId, 'd1'))?.active).toBe(false)
      expect(await rejects(s.setDeviceList(u.userId, { ...u.list, version: 2 }))).toBe('invalid_device_list')
      expect(await rejects(s.setDeviceList('nobody', u.list))).toBe('not_found')
    }))

    it('publishes prekeys and hands out each one-time key once, then the KEM last resort', () => withStore(async (s) => {
      const u = makeUser(1)
      await s.registerDevice(registration(u, 0, 2, 1))
      expect(await s.publishPreKeys(u.userId, 'd0', { oneTimePreKeys: [{ id: 50, publicKey: b64(32) }] })).toEqual({ oneTimePreKeys: 3, kemOneTimePreKeys: 1 })
      const ids: number[] = []
      let lastResort = 0
      for (let i = 0; i < 5; i++) {
        const got = (await s.claimBundles(u.userId))!
        expect(got.bundles).toHaveLength(1)
        const bundle = got.bundles[0]!
        if (bundle.oneTimePreKey) ids.push(bundle.oneTimePreKey.id)
        if (bundle.kemPreKeyIsLastResort) lastResort++
      }
      expect(ids.sort((x, y) => x - y)).toEqual([1, 2, 50])
      expect(lastResort).toBe(4)
      expect(await s.countPreKeys(u.userId, 'd0')).toEqual({ oneTimePreKeys: 0, kemOneTimePreKeys: 0 })
      expect(await s.claimBundles('nobody')).toBeNull()
      expect(await rejects(s.publishPreKeys(u.userId, 'ghost', {}))).toBe('not_found')
    }))

    it('claimBundles can leave one device out, claiming none of its one-time prekeys', () => withStore(async (s) => {
      const u = makeUser(2)
      await s.registerDevice(registration(u, 0, 2, 1))
      await s.registerDevice(registration(u, 1, 2, 1))
      const got = (await s.claimBundles(u.userId, 'd0'))!
      expect(got.bundles.map((b) => b.deviceId)).toEqual(['d1'])
      expect(got.remaining.map((r) => r.deviceId)).toEqual(['d1'])
      expect(await s.countPreKeys(u.userId, 'd0')).toEqual({ oneTimePreKeys: 2, kemOneTimePreKeys: 1 })
      expect(await s.countPreKeys(u.userId, 'd1')).toEqual({ oneTimePreKeys: 1, kemOneTimePreKeys: 0 })
    }))

    it('a device id registered again with new keys loses the old keys\' one-time prekeys; the same keys keep them (decision 0022)', () => withStore(async (s) => {
      const u = makeUser(1)
      await s.registerDevice(registration(u, 0, 2, 1))
      await s.registerDevice(registration(u, 0, 0, 0)) // the same keys again
      expect(await s.countPreKeys(u.userId, 'd0')).toEqual({ oneTimePreKeys: 2, kemOneTimePreKeys: 1 })
      const renewed = { ...u.devices[0]!, signingKey: b64(32), identityKey: b64(32) }
      await s.registerDevice({ ...registration(u, 0, 1, 0), ...renewed, deviceList: { ...u.list, version: u.list.version + 1, devices: [renewed] } })
      expect(await s.countPreKeys(u.userId, 'd0')).toEqual({ oneTimePreKeys: 1, kemOneTimePreKeys: 0 })
      expect((await s.getDevice(u.userId, 'd0'))?.signingKey).toBe(renewed.signingKey)
    }))

    it('50 concurrent bundle claims for 10 one-time prekeys: 10 distinct keys, 40 without', () => withStore(async (s) => {
      const u = makeUser(1)
      await s.registerDevice(registration(u, 0, 10, 0))
      const all = await Promise.all(Array.from({ length: 50 }, () => s.claimBundles(u.userId)))
      const keys = all.map((r) => r!.bundles[0]!.oneTimePreKey?.id).filter((x): x is number => x !== undefined)
      expect(keys).toHaveLength(10)
      expect(new Set(keys).size).toBe(10)
      expect(all.filter((r) => !r!.bundles[0]!.oneTimePreKey)).toHaveLength(40)
    }))

    it('opens one conversation per pair, idempotently, and lists it for both', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      const again = await s.openDirectConversation({ id: 'other', userIds: [b.userId, a.userId], mode: 'e2ee', upgradeRequired: false, now: 20 })
      expect(again.created).toBe(false)
      expect(again.conversation.id).toBe(c.id)
      expect(again.conversation.encryption).toBe('server-side')
      expect(c.members).toEqual([a.userId, b.userId].sort())
      expect((await s.listConversations(a.userId)).map((x) => x.id)).toEqual([c.id])
      expect(await s.getConversation('missing')).toBeNull()
    }))

    it('appends with gap-free seq and fans out to every other device, sender’s own included', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      const out = await s.appendMessages([plain(c.id, addr(a, 0)), plain(c.id, addr(b, 0))], bind, 100)
      expect(out.map((o) => o.ok && o.message.seq)).toEqual([1, 2])
      const first = out[0]!
      if (!first.ok) throw new Error('append failed')
      expect(first.recipients.map((r) => `${r.userId}/${r.deviceId}`).sort()).toEqual([`${a.userId}/d1`, `${b.userId}/d0`].sort())
      expect(first.message.franking?.kid).toBe('k1')
      expect((await s.getConversation(c.id))?.lastSeq).toBe(2)
      const inbox = await s.inboxAfter(addr(b, 0), 0, 10, 100)
      expect(inbox.map((d) => [d.inboxId, d.message.seq])).toEqual([[1, 1]])
      expect(inbox[0]!.message.sealedBody).toEqual(first.message.sealedBody)
      expect((await s.inboxAfter(addr(a, 0), 0, 10, 100)).map((d) => d.message.seq)).toEqual([2])
    }))

    it('a resend with the same client id is stored once (across batches and inside one)', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      const m = plain(c.id, addr(a, 0), 'same')
      const [one, two] = await s.appendMessages([m, { ...m, id: 'm-other' }], bind, 100)
      const [three] = await s.appendMessages([{ ...m, id: 'm-third' }], bind, 200)
      expect(one?.ok && !one.duplicate).toBe(true)
      for (const o of [two, three]) {
        expect(o?.ok && o.duplicate && o.message.id).toBe(m.id)
      }
      expect(await s.inboxAfter(addr(b, 0), 0, 10, 300)).toHaveLength(1)
    }))

    it('per-message errors: not a member, unknown conversation, downgrade, envelope mismatch; others still commit', () => withStore(async (s) => {
      const { a, b, c } = await pair(s, 'e2ee')
      const stranger = makeUser(1)
      await registerAll(s, stranger)
      const good = e2ee(c.id, addr(a, 0), [addr(a, 1), addr(b, 0)])
      const out = await s.appendMessages([
        e2ee(c.id, addr(stranger, 0), [addr(a, 0), addr(a, 1), addr(b, 0)]),
        e2ee('nope', addr(a, 0), [addr(b, 0)]),
        plain(c.id, addr(a, 0)),
        e2ee(c.id, addr(a, 0), [addr(b, 0)]),
        e2ee(c.id, addr(a, 0), [addr(a, 1), addr(b, 0), addr(stranger, 0)]),
        good,
      ], bind, 100)
      expect(out.map((o) => (o.ok ? 'ok' : code(o.error)))).toEqual(['forbidden', 'not_found', 'downgrade_rejected', 'invalid_device_list', 'invalid_device_list', 'ok'])
      const mismatch = out[3]!
      if (mismatch.ok) throw new Error('unreachable')
      expect((mismatch.error as ParleyError).details).toMatchObject({ missing: [addr(a, 1)], extra: [] })
      const got = await s.inboxAfter(addr(b, 0), 0, 10, 100)
      expect(got.map((d) => [d.message.id, d.message.seq, d.envelope?.ciphertext])).toEqual([[good.id, 1, good.envelopes![1]!.ciphertext]])
    }))

    it('concurrent batches into one conversation get distinct contiguous seqs', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      const outs = await Promise.all(Array.from({ length: 20 }, (_, i) => s.appendMessages([plain(c.id, addr(i % 2 ? a : b, 0))], bind, 100 + i)))
      const seqs = outs.flat().map((o) => (o.ok ? o.message.seq : -1)).sort((x, y) => x - y)
      expect(seqs).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
      const ids = (await s.inboxAfter(addr(a, 1), 0, 100, 200)).map((d) => d.inboxId)
      expect(ids).toEqual(Array.from({ length: 20 }, (_, i) => i + 1))
    }))

    it('inbox cursor only moves forward and never past the last inbox id', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      await s.appendMessages([plain(c.id, addr(a, 0)), plain(c.id, addr(a, 0)), plain(c.id, addr(a, 0))], bind, 100)
      expect(await s.ackInbox(addr(b, 0), 2)).toBe(2)
      expect(await s.ackInbox(addr(b, 0), 1)).toBe(2)
      expect(await s.ackInbox(addr(b, 0), 99)).toBe(3)
      expect((await s.getDevice(b.userId, 'd0'))?.inboxCursor).toBe(3)
      expect((await s.inboxAfter(addr(b, 0), 1, 1, 100)).map((d) => d.inboxId)).toEqual([2])
      expect(await rejects(s.ackInbox({ userId: b.userId, deviceId: 'ghost' }, 1))).toBe('not_found')
    }))

    it('history pages newest first by seq, with the viewer’s envelope', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      for (let i = 0; i < 7; i++) await s.appendMessages([plain(c.id, addr(a, 0))], bind, 100 + i)
      const p1 = await s.history(c.id, addr(b, 0), undefined, 3, 1_000)
      expect(p1.map((d) => d.message.seq)).toEqual([7, 6, 5])
      const p2 = await s.history(c.id, addr(b, 0), 5, 3, 1_000)
      expect(p2.map((d) => d.message.seq)).toEqual([4, 3, 2])
      expect((await s.history(c.id, addr(b, 0), 2, 3, 1_000)).map((d) => d.message.seq)).toEqual([1])
      expect(p1[0]!.inboxId).toBe(7)
      expect((await s.history(c.id, addr(a, 0), undefined, 1, 1_000))[0]!.inboxId).toBe(0)
    }))

    it('delete-for-everyone: only the sender’s user, drops body and envelopes', () => withStore(async (s) => {
      const { a, b, c } = await pair(s, 'e2ee')
      const m = e2ee(c.id, addr(a, 0), [addr(a, 1), addr(b, 0)])
      await s.appendMessages([m], bind, 100)
      expect(await rejects(s.deleteMessage({ conversationId: c.id, messageId: m.id, byUserId: b.userId }))).toBe('forbidden')
      expect(await rejects(s.deleteMessage({ conversationId: c.id, messageId: 'nope', byUserId: a.userId }))).toBe('not_found')
      const del = await s.deleteMessage({ conversationId: c.id, messageId: m.id, byUserId: a.userId })
      expect(del.deleted).toBe(true)
      const [d] = await s.inboxAfter(addr(b, 0), 0, 10, 100)
      expect(d!.message.deleted).toBe(true)
      expect(d!.envelope).toBeUndefined()
    }))

    it('upgrade is one-way, recorded in history and the inbox, with notices for members', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      const mc = { conversationId: c.id, from: 'server-side' as const, to: 'e2ee' as const, userId: a.userId, deviceId: 'd0', ts: 5, signature: b64(64) }
      const up = await s.upgradeConversation({ conversationId: c.id, modeChange: mc, messageId: 'mc-1', now: 200 })
      expect(up.changed).toBe(true)
      expect(up.conversation.encryption).toBe('e2ee')
      expect(up.conversation.modeChange).toEqual(mc)
      expect(up.recipients.map((r) => `${r.userId}/${r.deviceId}`).sort()).toEqual([`${a.userId}/d1`, `${b.userId}/d0`].sort())
      const again = await s.upgradeConversation({ conversationId: c.id, modeChange: mc, messageId: 'mc-2', now: 300 })
      expect(again.changed).toBe(false)
      const [d] = await s.inboxAfter(addr(b, 0), 0, 10, 300)
      expect(d!.message.kind).toBe('mode_change')
      expect(d!.message.modeChange).toEqual(mc)
      // A code and structured fields, never prose: the client renders the words.
      expect((await s.pendingNotices(addr(b, 0))).map((n) => n.notice)).toEqual([{ kind: 'mode_changed', conversationId: c.id, encryption: 'e2ee', by: a.userId, ts: 200 }])
      const [plainOut] = await s.appendMessages([plain(c.id, addr(b, 0))], bind, 400)
      expect(plainOut!.ok ? 'ok' : code(plainOut!.error)).toBe('downgrade_rejected')
      expect(await rejects(s.upgradeConversation({ conversationId: c.id, modeChange: { ...mc, userId: 'x' }, messageId: 'mc-3', now: 1 }))).toBe('forbidden')
    }))

    it('a policy change keeps e2ee conversations e2ee and writes notices once per member', () => withStore(async (s) => {
      expect((await s.applyPolicy('default-e2ee', 1)).changed).toBe(false)
      const { a, c: e } = await pair(s, 'e2ee')
      const p2 = await pair(s, 'server-side')
      const out = await s.applyPolicy('server-side', 2)
      expect(out).toEqual({ previous: 'default-e2ee', changed: true, notices: 4 })
      expect((await s.getConversation(e.id))?.encryption).toBe('e2ee')
      const notes = await s.pendingNotices(addr(a, 1))
      expect(notes.map((n) => n.notice)).toEqual([{ kind: 'policy_changed', conversationId: e.id, policy: 'server-side', previousPolicy: 'default-e2ee', encryption: 'e2ee', ts: 2 }])
      await s.ackNotices(addr(a, 1), notes[0]!.id)
      expect(await s.pendingNotices(addr(a, 1))).toEqual([])
      expect(await s.pendingNotices(addr(a, 0))).toHaveLength(1)
      expect((await s.applyPolicy('server-side', 3)).changed).toBe(false)
      await s.applyPolicy('default-e2ee', 4)
      const up = await s.getConversation(p2.c.id)
      expect(up).toMatchObject({ encryption: 'server-side', upgradeRequired: true })
      expect((await s.pendingNotices(addr(p2.b, 0))).at(-1)?.notice).toEqual({ kind: 'upgrade_required', conversationId: p2.c.id, policy: 'default-e2ee', previousPolicy: 'server-side', encryption: 'server-side', ts: 4 })
      const [o] = await s.appendMessages([plain(p2.c.id, addr(p2.a, 0))], bind, 5)
      expect(o!.ok ? 'ok' : code(o!.error)).toBe('policy_violation')
      const later = makeUser(1)
      await registerAll(s, later)
      expect(await s.pendingNotices(addr(later, 0))).toEqual([])
    }))

    it('notices stored by a version-1 server read back as codes: text dropped, mode_changed gets its by', () => withStore(async (s) => {
      const { a, c } = await pair(s)
      const legacy = [
        { kind: 'mode_changed', conversationId: c.id, encryption: 'e2ee', ts: 1, text: `${a.userId} turned on end-to-end encryption for this conversation. It cannot be turned off.` },
        { kind: 'policy_changed', conversationId: c.id, policy: 'server-side', previousPolicy: 'optional-e2ee', encryption: 'server-side', ts: 2, text: 'The server policy changed.' },
      ]
      await s.addNotices(legacy.map((notice) => ({ userId: a.userId, notice: notice as never })))
      expect((await s.pendingNotices(addr(a, 0))).map((n) => n.notice)).toEqual([
        { kind: 'mode_changed', conversationId: c.id, encryption: 'e2ee', by: a.userId, ts: 1 },
        { kind: 'policy_changed', conversationId: c.id, policy: 'server-side', previousPolicy: 'optional-e2ee', encryption: 'server-side', ts: 2 },
      ])
    }))

    // ---- sealed reports ----
    it('reports are sealed at rest and idempotent by reporter and id; a stored row holds no plaintext', () => withStore(async (s) => {
      const secret = `reported words ${uid()}`
      const report: VerifiedReport = {
        reportId: 'r1', conversationId: 'c1', reporter: { userId: 'u1', deviceId: 'd1' }, reason: 'spam reason', receivedAt: 5,
        entries: [{ messageId: 'm1', seq: 1, ts: 1, sender: { userId: 'u2', deviceId: 'd2' }, text: secret, attachments: [{ name: 'secret-name.png', mime: 'image/png', size: 1, sha256: b64(32) }], verified: true }],
        transcript: { verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 },
      }
      const keys = { currentKid: 'dk1', keys: { dk1: generateDataKey() } }
      const stored = sealReport(keys, report)
      expect((await s.saveReport(stored)).duplicate).toBe(false)
      const again = await s.saveReport(sealReport(keys, { ...report, reason: 'changed' }))
      expect(again.duplicate).toBe(true)
      expect(openReport(keys, again.report).reason).toBe('spam reason')
      expect((await s.saveReport(sealReport(keys, { ...report, reporter: { userId: 'u2', deviceId: 'd' } }))).duplicate).toBe(false)
      expect(await s.countReports()).toBe(2)
      const row = await s.getReport('u1', 'r1')
      expect(row).toEqual(stored)
      // What the store holds: ids, time and a sealed blob — no text, name or reason.
      expect(Object.keys(row!).sort()).toEqual(['conversationId', 'receivedAt', 'reportId', 'reporterUserId', 'sealed'])
      for (const plain of [secret, 'secret-name', 'spam reason', 'verified']) expect(JSON.stringify(row)).not.toContain(plain)
      expect(openReport(keys, row!)).toEqual(report)
      // Bound to its row: the same blob under another report id does not open.
      expect(() => openReport(keys, { ...row!, reportId: 'r2' })).toThrow(StoreError)
      expect(await s.getReport('u1', 'zz')).toBeNull()
      expect(await s.sealLegacyReports(() => { throw new Error('nothing legacy to seal') })).toBe(0)
    }))

    it('messagesSeenBy: only messages of that conversation delivered to or sent by the user', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      const other = await pair(s)
      const [m1, m2] = await s.appendMessages([plain(c.id, addr(a, 0)), plain(c.id, addr(b, 0))], bind, 100)
      const [m3] = await s.appendMessages([plain(other.c.id, addr(other.a, 0))], bind, 100)
      const ids = [m1, m2, m3].map((o) => (o!.ok ? o!.message.id : ''))
      expect((await s.messagesSeenBy(b.userId, c.id, ids)).map((m) => m.id).sort()).toEqual([ids[0], ids[1]].sort())
      expect(await s.messagesSeenBy('stranger', c.id, ids)).toEqual([])
    }))

    // ---- report coverage ----
    it('deliveredAfter: messages a device received or sent after a seq; not deleted, expired, other devices\' or conversations\'', () => withStore(async (s) => {
      const { a, b, c } = await pair(s) // a has d0 and d1, b has d0
      const other = await pair(s)
      await s.appendMessages([plain(c.id, addr(a, 0)), plain(c.id, addr(b, 0)), plain(c.id, addr(a, 1))], bind, 100)
      await s.appendMessages([plain(other.c.id, addr(other.a, 0))], bind, 100)
      expect(await s.deliveredAfter(addr(b, 0), c.id, 0, 100)).toEqual({ count: 3, lastSeq: 3 }) // received 1, 3; sent 2
      expect(await s.deliveredAfter(addr(b, 0), c.id, 2, 100)).toEqual({ count: 1, lastSeq: 3 })
      expect(await s.deliveredAfter(addr(b, 0), c.id, 3, 100)).toEqual({ count: 0, lastSeq: 0 })
      expect(await s.deliveredAfter(addr(a, 0), c.id, 0, 100)).toEqual({ count: 3, lastSeq: 3 }) // sent 1, received 2 and 3 (its other device's)
      expect(await s.deliveredAfter(addr(other.b, 0), c.id, 0, 100)).toEqual({ count: 0, lastSeq: 0 })
      const [m4] = await s.appendMessages([{ ...plain(c.id, addr(a, 0)), expiresAt: 500 }], bind, 100)
      expect(await s.deliveredAfter(addr(b, 0), c.id, 3, 400)).toEqual({ count: 1, lastSeq: 4 })
      expect(await s.deliveredAfter(addr(b, 0), c.id, 3, 600)).toEqual({ count: 0, lastSeq: 0 })
      await s.deleteMessage({ conversationId: c.id, messageId: m4!.ok ? m4!.message.id : '', byUserId: a.userId })
      expect(await s.deliveredAfter(addr(b, 0), c.id, 3, 400)).toEqual({ count: 0, lastSeq: 0 })
    }))

    it('token buckets allow capacity, then refill over time', () => withStore(async (s) => {
      const takes = await Promise.all(Array.from({ length: 5 }, () => s.buckets.take('k', 3, 1, 1_000)))
      expect(takes.filter(Boolean)).toHaveLength(3)
      expect(await s.buckets.take('k', 3, 1, 1_500)).toBe(false)
      expect(await s.buckets.take('k', 3, 1, 2_100)).toBe(true)
      expect(await s.buckets.take('other', 1, 1, 0)).toBe(true)
    }))

    it('takeTokens: all or none across buckets, refill, retry-after, and purge of full buckets', () => withStore(async (s) => {
      const wide = { key: `req-${uid()}`, capacity: 3, refillPerSecond: 1 }
      const narrow = (target: string) => ({ key: `${wide.key}\n${target}`, capacity: 2, refillPerSecond: 0.5 })
      expect(await s.takeTokens([wide, narrow('t1')], 1_000)).toBe(0)
      expect(await s.takeTokens([wide, narrow('t1')], 1_000)).toBe(0)
      // The narrow bucket is empty: refused with its wait (0.5/s → 2 s), and the wide one keeps its token.
      expect(await s.takeTokens([wide, narrow('t1')], 1_000)).toBe(2_000)
      expect(await s.takeTokens([wide, narrow('t2')], 1_000)).toBe(0)
      // Now the wide bucket is empty too: refused for a target never seen.
      expect(await s.takeTokens([wide, narrow('t3')], 1_000)).toBe(1_000)
      expect(await s.takeTokens([narrow('t3')], 1_000)).toBe(0)
      // Refills continuously; the longest wait of the refused buckets is returned.
      expect(await s.takeTokens([wide, narrow('t1')], 2_000)).toBe(1_000)
      expect(await s.takeTokens([wide, narrow('t1')], 3_000)).toBe(0)
      // Nothing is purged while a bucket is below capacity; all of it once every one refilled.
      expect(await s.purgeBuckets(2_500)).toBe(0)
      expect(await s.purgeBuckets(10_000)).toBe(4)
      // A purged bucket behaves as a full one.
      for (let i = 0; i < 3; i++) expect(await s.takeTokens([wide], 10_000)).toBe(0)
      expect(await s.takeTokens([wide], 10_000)).toBeGreaterThan(0)
    }))

    it('takeTokens under concurrency: never more than capacity granted', () => withStore(async (s) => {
      const key = `c-${uid()}`
      const pair = { key: `${key}\nt`, capacity: 5, refillPerSecond: 0.001 }
      const all = { key, capacity: 7, refillPerSecond: 0.001 }
      const got = await Promise.all(Array.from({ length: 20 }, () => s.takeTokens([all, pair], 1_000)))
      expect(got.filter((w) => w === 0)).toHaveLength(5)
      expect(got.filter((w) => w > 0).every((w) => w > 0)).toBe(true)
      const others = await Promise.all(Array.from({ length: 5 }, (_, i) => s.takeTokens([all, { ...pair, key: `${key}\no${i}` }], 1_000)))
      expect(others.filter((w) => w === 0)).toHaveLength(2)
    }))

    it('retention: expired messages are hidden, then purged', () => withStore(async (s) => {
      const { a, b, c } = await pair(s)
      await s.appendMessages([{ ...plain(c.id, addr(a, 0)), expiresAt: 500 }, plain(c.id, addr(a, 0))], bind, 100)
      expect(await s.inboxAfter(addr(b, 0), 0, 10, 400)).toHaveLength(2)
      expect((await s.inboxAfter(addr(b, 0), 0, 10, 600)).map((d) => d.message.seq)).toEqual([2])
      expect((await s.history(c.id, addr(b, 0), undefined, 10, 600)).map((d) => d.message.seq)).toEqual([2])
      expect(await s.purgeExpired(600)).toBe(1)
      expect(await s.inboxAfter(addr(b, 0), 0, 10, 0)).toHaveLength(1)
    }))

    it('link requests expire and can be deleted', () => withStore(async (s) => {
      const req = { codeHash: b64(32), userId: 'u', deviceId: 'new', ephemeralKey: b64(32), expiresAt: 1_000 }
      await s.putLinkRequest(req)
      expect(await s.getLinkRequest(req.codeHash, 500)).toEqual(req)
      expect(await s.getLinkRequest(req.codeHash, 1_000)).toBeNull()
      await s.deleteLinkRequest(req.codeHash)
      expect(await s.getLinkRequest(req.codeHash, 0)).toBeNull()
    }))

    moderationContract(withStore)
  })
}
