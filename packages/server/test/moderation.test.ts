/**
 * Server-side moderation and reports: block → MessageBlockedError and nothing stored, flags
 * reach onFlag, a throwing plugin fails closed and reaches onError, e2ee content only meets
 * checkEnvelope; reports are verified (franking + "delivered to the reporter"), idempotent,
 * rate-limited and handed to onReport and plugins.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Delivery, FlagEvent, ModerationPlugin, ReportEntry, VerifiedReport } from '@parley/protocol'
import { connectDevice, errorCode, ok, type TestDevice } from './helpers/client.js'
import { e2eeSend, makeTestUser, plainSend, type TestUser } from './helpers/device.js'
import { startTestServer, type TestServer } from './helpers/server.js'

const open: { close(): unknown }[] = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close()
})

async function setup(opts: Parameters<typeof startTestServer>[0]) {
  const s = await startTestServer(opts)
  open.push(s)
  const alice = makeTestUser(1)
  const bob = makeTestUser(1)
  const a = await connectDevice(s.url, alice)
  const b = await connectDevice(s.url, bob)
  open.push(a, b)
  const { conversation } = await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })
  return { s, alice, bob, a, b, c: conversation }
}

const nope: ModerationPlugin = {
  name: 'no-nope', version: '1.0.0',
  checkOutgoing: (m) => (m.text.includes('nope') ? { action: 'block', reason: 'said nope' } : { action: 'allow' }),
  checkIncoming: (m) => (m.text.includes('hmm') ? { action: 'flag', reason: 'hmm' } : { action: 'allow' }),
}

describe('moderation', () => {
  it('block → message_blocked with plugin and reason, nothing stored; flags reach onFlag with the message id', async () => {
    const flags: FlagEvent[] = []
    const { s, a, b, c } = await setup({ plugins: [nope], onFlag: (e) => void flags.push(e) })
    const r = await errorCode(a.socket, 'message.send', plainSend(c.id, 'nope nope'))
    expect(r).toBe('message_blocked')
    const raw = await a.socket.timeout(5000).emitWithAck('message.send', plainSend(c.id, 'nope'))
    expect(raw.error.details).toEqual({ plugin: 'no-nope', reason: 'said nope' })
    expect((await s.parley.store().getConversation(c.id))?.lastSeq).toBe(0)
    const sent = await ok(a.socket, 'message.send', plainSend(c.id, 'hmm ok'))
    await b.messages.count(1)
    await expect.poll(() => flags.length).toBe(1)
    expect(flags[0]).toEqual({ plugin: 'no-nope', reason: 'hmm', hook: 'checkIncoming', where: 'server', conversationId: c.id, sender: { userId: a.userId, deviceId: 'd1' }, messageId: sent.messageId })
  })

  it('a throwing plugin fails closed and reaches onError; the process stays up', async () => {
    const errors: unknown[] = []
    const boom: ModerationPlugin = { name: 'boom', version: '1', checkOutgoing: () => { throw new Error('kaboom') } }
    const { a, c } = await setup({ plugins: [boom], onError: (e) => void errors.push(e) })
    const raw = await a.socket.timeout(5000).emitWithAck('message.send', plainSend(c.id, 'hi'))
    expect(raw.error).toMatchObject({ code: 'message_blocked', details: { plugin: 'boom' } })
    expect(errors.map((e) => (e as { code?: string }).code)).toEqual(['plugin_failed'])
    expect((await ok(a.socket, 'conversation.list', {})).conversations).toHaveLength(1)
  })

  it('e2ee: content hooks never run on the server, checkEnvelope always does', async () => {
    const seen: string[] = []
    const meta: ModerationPlugin = {
      name: 'meta', version: '1',
      checkOutgoing: () => (seen.push('out'), { action: 'allow' }),
      checkEnvelope: (env) => (seen.push(`env:${env.mode}:${env.recipientCount}`), env.size > 5_000 ? { action: 'block', reason: 'too big' } : { action: 'allow' }),
    }
    const { bob, a, c } = await setup({ policy: 'default-e2ee', plugins: [meta] })
    await ok(a.socket, 'message.send', e2eeSend(c.id, 'secret', [{ userId: bob.userId, deviceId: 'd1' }]))
    expect(await errorCode(a.socket, 'message.send', e2eeSend(c.id, 'x'.repeat(6_000), [{ userId: bob.userId, deviceId: 'd1' }]))).toBe('message_blocked')
    expect(seen).toEqual(['env:e2ee:1', 'env:e2ee:1'])
  })
})

function entryOf(d: Delivery, text: string, nf: string): ReportEntry {
  return {
    messageId: d.messageId, conversationId: d.conversationId, seq: d.seq, ts: d.ts, sender: d.sender, text, attachments: [], nf,
    tf: d.franking!.tf, rf: d.franking!.rf, kid: d.franking!.kid,
  }
}

describe('reports', () => {
  async function conversationWithMessages(opts: Parameters<typeof startTestServer>[0]) {
    const env = await setup(opts)
    const frames = ['one', 'two', 'three'].map((t) => plainSend(env.c.id, t))
    for (const f of frames) await ok(env.a.socket, 'message.send', f)
    const got = await env.b.messages.count(3)
    const entries = got.map((d, i) => entryOf(d, ['one', 'two', 'three'][i]!, (frames[i] as { body: { nf: string } }).body.nf))
    return { ...env, entries }
  }

  it('verifies a transcript, calls onReport and plugin onReport once, and is idempotent by id', async () => {
    const reports: VerifiedReport[] = []
    const pluginReports: string[] = []
    const sink: ModerationPlugin = { name: 'sink', version: '1', onReport: (r) => void pluginReports.push(r.reportId) }
    const { s, b, c, entries } = await conversationWithMessages({ onReport: (r) => void reports.push(r), plugins: [sink] })
    const res = await ok(b.socket, 'report.submit', { reportId: 'r-1', conversationId: c.id, reason: 'spam', entries })
    expect(res).toEqual({ reportId: 'r-1', duplicate: false, verifiedEntries: 3, totalEntries: 3 })
    await expect.poll(() => reports.length).toBe(1)
    expect(reports[0]).toMatchObject({ reportId: 'r-1', conversationId: c.id, reporter: { userId: b.userId, deviceId: 'd1' }, transcript: { verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 } })
    expect(reports[0]!.entries.map((e) => e.text)).toEqual(['one', 'two', 'three'])
    const again = await ok(b.socket, 'report.submit', { reportId: 'r-1', conversationId: c.id, reason: 'different', entries: [] })
    expect(again).toEqual({ ...res, duplicate: true })
    await expect.poll(() => pluginReports).toEqual(['r-1'])
    expect(reports).toHaveLength(1)
    expect(await s.parley.store().countReports()).toBe(1)
  })

  it('forged text, an unknown id and a gap are marked, never dropped', async () => {
    const reports: VerifiedReport[] = []
    const { b, c, entries } = await conversationWithMessages({ onReport: (r) => void reports.push(r) })
    const forged = { ...entries[0]!, text: 'I never said that' }
    const notMine = { ...entries[2]!, messageId: 'm_not_delivered' }
    const res = await ok(b.socket, 'report.submit', { reportId: 'r-2', conversationId: c.id, reason: 'abuse', entries: [forged, notMine] })
    expect(res).toMatchObject({ verifiedEntries: 0, totalEntries: 2 })
    await expect.poll(() => reports.length).toBe(1)
    expect(reports[0]!.entries.map((e) => e.failure)).toEqual(['bad_opening', 'not_delivered_to_reporter'])
    const gap = await ok(b.socket, 'report.submit', { reportId: 'r-3', conversationId: c.id, reason: 'abuse', entries: [entries[0]!, entries[2]!] })
    expect(gap.verifiedEntries).toBe(2)
    await expect.poll(() => reports.length).toBe(2)
    expect(reports[1]!.transcript).toEqual({ verified: false, ordered: true, gaps: [2], complete: true, laterDelivered: 0 })
    // Nothing verified reaches any of the three messages bob received: all three are left out.
    expect(reports[0]!.transcript).toMatchObject({ complete: false, laterDelivered: 3 })
  })

  it('reports are rate-limited per user and need membership', async () => {
    const { s, b, c, entries, alice } = await conversationWithMessages({ limits: { reports: { capacity: 2, refillPerSecond: 0.001 } } })
    await ok(b.socket, 'report.submit', { reportId: 'a', conversationId: c.id, reason: 'x', entries: entries.slice(0, 1) })
    await ok(b.socket, 'report.submit', { reportId: 'b', conversationId: c.id, reason: 'x', entries: entries.slice(0, 1) })
    expect(await errorCode(b.socket, 'report.submit', { reportId: 'c', conversationId: c.id, reason: 'x', entries: [] })).toBe('rate_limited')
    const carol: TestUser = makeTestUser(1)
    const cd: TestDevice = await connectDevice(s.url, carol)
    open.push(cd)
    expect(await errorCode(cd.socket, 'report.submit', { reportId: 'd', conversationId: c.id, reason: 'x', entries })).toBe('forbidden')
    expect(alice.userId).not.toBe(carol.userId)
    expect(await s.parley.store().countReports()).toBe(2)
  })
})
