/**
 * The `ModerationStore` part of the store conformance suite (run by `storeContract` on every
 * backend): each action and its audit entry land together or not at all.
 */
import { randomBytes } from 'node:crypto'
import { expect, it } from 'vitest'
import { generateDataKey } from '@parley/crypto'
import type { VerifiedReport } from '@parley/protocol'
import { sealReport } from '../report-seal.js'
import { addr, bind, makeUser, plain, registerAll, rejects } from './_contract-fixtures.js'
import type { NewAuditEntry } from './moderation-store.js'
import type { ParleyStore } from './store.js'

const audit = (action: NewAuditEntry['action'], target: string, at: number, details: NewAuditEntry['details'] = {}): NewAuditEntry => ({
  at, actor: 'mod-1', action, target, reason: `because ${action}`, details,
})

function report(reporter: string, reportId: string, receivedAt: number): VerifiedReport {
  return {
    reportId, conversationId: 'c1', reporter: { userId: reporter, deviceId: 'd1' }, reason: 'spam', receivedAt, entries: [],
    transcript: { verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 },
  }
}

export function moderationContract(withStore: (fn: (s: ParleyStore) => Promise<void>) => Promise<void>): void {
  it('moderation: suspensions start, expire and lift, each with its audit entry', () => withStore(async (s) => {
    const m = s.moderation
    await m.suspend({ userId: 'u1', reason: 'spam wave', by: 'mod-1', at: 100 }, audit('suspend_user', 'u1', 100))
    await m.suspend({ userId: 'u2', until: 500, reason: 'cool off', by: 'mod-1', at: 110 }, audit('suspend_user', 'u2', 110, { until: 500 }))
    expect(await m.suspension('u1', 10_000)).toEqual({ userId: 'u1', reason: 'spam wave', by: 'mod-1', at: 100 })
    expect(await m.suspension('u2', 499)).toMatchObject({ until: 500 })
    expect(await m.suspension('u2', 500)).toBeNull()
    expect(await m.unsuspend('u1', audit('unsuspend_user', 'u1', 120))).toBe(true)
    expect(await m.unsuspend('u1', audit('unsuspend_user', 'u1', 130))).toBe(false)
    expect(await m.suspension('u1', 10_000)).toBeNull()
    const log = await m.auditLog({ limit: 100 })
    expect(log.map((e) => [e.action, e.target, e.at])).toEqual([['suspend_user', 'u1', 100], ['suspend_user', 'u2', 110], ['unsuspend_user', 'u1', 120]])
    expect(log[1]).toMatchObject({ actor: 'mod-1', reason: 'because suspend_user', details: { until: 500 } })
    expect(log.map((e) => e.id)).toEqual([...log.map((e) => e.id)].sort((a, b) => a - b))
    expect((await m.auditLog({ since: 110, limit: 100 })).map((e) => e.at)).toEqual([110, 120])
  }))

  it('moderation: revoked devices and closed conversations are idempotent; a second closure writes nothing', () => withStore(async (s) => {
    const m = s.moderation
    await m.revokeDevice('u1', 'd1', audit('revoke_device', 'u1', 1, { deviceId: 'd1' }))
    expect(await m.isRevoked('u1', 'd1')).toBe(true)
    expect(await m.isRevoked('u1', 'd2')).toBe(false)
    await m.revokeDevice('u1', 'd1', audit('revoke_device', 'u1', 2, { deviceId: 'd1' }))
    const first = await m.closeConversation({ conversationId: 'c1', reason: 'abuse', by: 'mod-1', at: 3 }, audit('close_conversation', 'c1', 3))
    expect(first).toEqual({ created: true, closure: { conversationId: 'c1', reason: 'abuse', by: 'mod-1', at: 3 } })
    const again = await m.closeConversation({ conversationId: 'c1', reason: 'other', by: 'mod-2', at: 4 }, audit('close_conversation', 'c1', 4))
    expect(again).toEqual({ created: false, closure: first.closure })
    expect(await m.closure('c1')).toEqual(first.closure)
    expect(await m.closure('c2')).toBeNull()
    expect((await m.auditLog({ limit: 100 })).map((e) => e.action)).toEqual(['revoke_device', 'revoke_device', 'close_conversation'])
  }))

  it('moderation: a report resolves once; unknown and repeated resolutions write nothing', () => withStore(async (s) => {
    const keys = { currentKid: 'dk1', keys: { dk1: generateDataKey() } }
    await s.saveReport(sealReport(keys, report('u1', 'r1', 10)))
    await s.saveReport(sealReport(keys, report('u2', 'r2', 20)))
    const m = s.moderation
    expect((await m.listReports({ limit: 10 })).map((r) => [r.reportId, r.status])).toEqual([['r2', 'open'], ['r1', 'open']])
    expect(await rejects(m.resolveReport('u1', 'nope', { resolution: 'x', by: 'mod-1', at: 30 }, audit('resolve_report', 'nope', 30)))).toBe('not_found')
    const done = await m.resolveReport('u1', 'r1', { resolution: 'warned', note: 'first offence', by: 'mod-1', at: 31 }, audit('resolve_report', 'r1', 31))
    expect(done).toEqual({ reporterUserId: 'u1', reportId: 'r1', conversationId: 'c1', receivedAt: 10, status: 'resolved', resolution: 'warned', note: 'first offence', resolvedBy: 'mod-1', resolvedAt: 31 })
    expect(await rejects(m.resolveReport('u1', 'r1', { resolution: 'banned', by: 'mod-2', at: 32 }, audit('resolve_report', 'r1', 32)))).toBe('report_resolved')
    expect((await m.listReports({ status: 'open', limit: 10 })).map((r) => r.reportId)).toEqual(['r2'])
    expect(await m.listReports({ status: 'resolved', limit: 10 })).toEqual([done])
    expect((await m.auditLog({ limit: 100 })).map((e) => [e.action, e.at])).toEqual([['resolve_report', 31]])
  }))

  it('moderation: a moderator removes any message, with its audit entry in the same transaction', () => withStore(async (s) => {
    const a = makeUser(1)
    const b = makeUser(1)
    await registerAll(s, a)
    await registerAll(s, b)
    const { conversation: c } = await s.openDirectConversation({ id: `c-${randomBytes(4).toString('hex')}`, userIds: [a.userId, b.userId], mode: 'server-side', upgradeRequired: false, now: 1 })
    const [out] = await s.appendMessages([plain(c.id, addr(a))], bind, 2)
    const id = out!.ok ? out!.message.id : ''
    // Unknown message: refused, and no audit entry without its effect.
    expect(await rejects(s.deleteMessage({ conversationId: c.id, messageId: 'nope', byUserId: null, audit: audit('remove_message', c.id, 3) }))).toBe('not_found')
    expect(await s.moderation.auditLog({ limit: 10 })).toEqual([])
    const removed = await s.deleteMessage({ conversationId: c.id, messageId: id, byUserId: null, audit: audit('remove_message', c.id, 4, { messageId: id }) })
    expect(removed.deleted).toBe(true)
    expect(removed.sealedBody).toBeUndefined()
    expect((await s.history(c.id, addr(b), undefined, 10, 5))[0]?.message.deleted).toBe(true)
    expect((await s.moderation.auditLog({ limit: 10 })).map((e) => [e.action, e.details])).toEqual([['remove_message', { messageId: id }]])
  }))
}
