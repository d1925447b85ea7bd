/**
 * The operator console's and the chat's safety pieces in-process: the API's input checks and
 * typed errors (every route through `handleOperatorApi` against a fake `parley.moderation`),
 * the event stream, the transcript's words, what the audit log says is in force, and the
 * timeline hiding what a moderator removed.
 */
import { PassThrough } from 'node:stream'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it, vi } from 'vitest'
import { NotFoundError, ReportResolvedError, type Notice, type VerifiedReport } from '@parley/protocol'
import type { AuditEntry, ModerationApi } from '@parley/server'
import type { Message } from '@parley/client'
import type { MessageView } from '@parley/react'
import { demoCanMessage } from '../src/contacts.js'
import { handleOperatorApi, MAX_ACTION_BODY_BYTES, type OperatorApiDeps } from '../src/operator-api.js'
import type { OperatorEvent } from '../src/operator-events.js'
import { OperatorEvents, OPERATOR_STREAM_HEARTBEAT_MS } from '../src/operator-events.js'
import { OPERATOR_SESSION_MS } from '../src/operator-auth.js'
import { inForce } from '../src/console/moderation-state.js'
import { AuditTail } from '../src/audit-tail.js'
import { coverageTexts, entryBadge, verdictText } from '../src/console/transcript-words.js'
import { isClosed, removedMessageIds, timeline } from '../src/ui/timeline.js'
import { createElement } from 'react'
import { renderToStaticMarkup } from 'react-dom/server'
import { ReportCard } from '../src/console/report-card.js'
import type { QueueItem } from '../src/operator-api-types.js'

const report = (over: Partial<VerifiedReport> = {}): VerifiedReport => ({
  reportId: 'r1',
  conversationId: 'c1',
  reporter: { userId: 'bob', deviceId: 'd1' },
  reason: 'spam',
  receivedAt: 0,
  entries: [
    { messageId: 'm1', seq: 1, ts: 0, sender: { userId: 'alice', deviceId: 'd2' }, text: 'hi', attachments: [], verified: true },
    { messageId: 'm3', seq: 3, ts: 0, sender: { userId: 'alice', deviceId: 'd2' }, text: 'forged', attachments: [], verified: false, failure: 'bad_opening' },
  ],
  transcript: { verified: false, ordered: true, gaps: [2], complete: false, laterDelivered: 1 },
  ...over,
})

/** A request as `node:http` hands it over: method, headers and a body stream. */
function request(method: string, body?: string, contentType = 'application/json'): IncomingMessage {
  const stream = new PassThrough()
  stream.end(body ?? '')
  return Object.assign(stream, { method, headers: body === undefined ? {} : { 'content-type': contentType } }) as unknown as IncomingMessage
}

function fakeDeps() {
  const calls: unknown[][] = []
  const events: OperatorEvent[] = []
  const moderation = {
    async suspendUser(userId: string, o: object) {
      calls.push(['suspendUser', userId, o])
      if (userId === 'nobody') throw new NotFoundError('unknown user')
      if ((o as { reason: string }).reason === '') throw new TypeError('"reason" expected a non-empty string')
      return { userId, reason: 'x', by: 'operator', at: 1 }
    },
    async unsuspendUser(userId: string, o: object) { calls.push(['unsuspendUser', userId, o]); return true },
    async revokeDevice(userId: string, deviceId: string, o: object) { calls.push(['revokeDevice', userId, deviceId, o]) },
    async removeMessage(c: string, m: string, o: object) { calls.push(['removeMessage', c, m, o]) },
    async closeConversation(c: string, o: object) { calls.push(['closeConversation', c, o]); return { conversationId: c, reason: 'x', by: 'operator', at: 1 } },
    async resolveReport(id: string, o: object) {
      calls.push(['resolveReport', id, o])
      if (id === 'done') throw new ReportResolvedError('already resolved')
      return { reportId: id, status: 'resolved' }
    },
    async listReports() { return [{ reporterUserId: 'bob', reportId: 'r1', conversationId: 'c1', receivedAt: 0, status: 'open' }, { reporterUserId: 'carol', reportId: 'r9', conversationId: 'c2', receivedAt: 0, status: 'open' }] },
    async auditLog() { return [] },
  } as unknown as ModerationApi
  const deps: OperatorApiDeps = {
    moderation,
    getReport: async (reporter, id) => (reporter === 'bob' && id === 'r1' ? report() : null),
    publish: (e) => void events.push(e),
    audit: new AuditTail(moderation),
  }
  return { deps, calls, events }
}

describe('operator API', () => {
  it('joins the queue with the stored transcripts', async () => {
    const { deps } = fakeDeps()
    const [status, body] = await handleOperatorApi(deps, request('GET'), '/operator/api/state')
    expect(status).toBe(200)
    const state = body as { queue: { reportId: string; report: VerifiedReport | null }[] }
    expect(state.queue.map((q) => [q.reportId, q.report?.reportId ?? null])).toEqual([['r1', 'r1'], ['r9', null]])
  })

  it('runs each action with its parsed body and tells the consoles', async () => {
    const { deps, calls, events } = fakeDeps()
    const post = (name: string, body: object) => handleOperatorApi(deps, request('POST', JSON.stringify(body)), `/operator/api/actions/${name}`)
    expect((await post('suspend-user', { userId: 'alice', reason: 'spam', until: 5 }))[0]).toBe(200)
    expect((await post('remove-message', { conversationId: 'c1', messageId: 'm1', reason: 'spam' }))[0]).toBe(200)
    expect((await post('close-conversation', { conversationId: 'c1', reason: 'spam' }))[0]).toBe(200)
    expect((await post('resolve-report', { reportId: 'r1', reporterUserId: 'bob', resolution: 'action taken', note: '' }))[0]).toBe(200)
    expect((await post('unsuspend-user', { userId: 'alice', reason: 'appeal' }))[0]).toBe(200)
    expect((await post('revoke-device', { userId: 'alice', deviceId: 'd2', reason: 'stolen' }))[0]).toBe(200)
    expect(calls).toEqual([
      ['suspendUser', 'alice', { reason: 'spam', until: 5 }],
      ['removeMessage', 'c1', 'm1', { reason: 'spam' }],
      ['closeConversation', 'c1', { reason: 'spam' }],
      ['resolveReport', 'r1', { reporterUserId: 'bob', resolution: 'action taken' }],
      ['unsuspendUser', 'alice', { reason: 'appeal' }],
      ['revokeDevice', 'alice', 'd2', { reason: 'stolen' }],
    ])
    expect(events.map((e) => e.id)).toEqual(['suspend-user', 'remove-message', 'close-conversation', 'resolve-report', 'unsuspend-user', 'revoke-device'])
  })

  it('answers bad input with typed JSON errors and acts on nothing', async () => {
    const { deps, calls, events } = fakeDeps()
    const cases: [IncomingMessage, string, number, string][] = [
      [request('POST', '{}', 'application/x-www-form-urlencoded'), 'actions/suspend-user', 415, 'unsupported_media_type'],
      [request('POST', '{nope'), 'actions/suspend-user', 400, 'invalid_json'],
      [request('POST', '[1]'), 'actions/suspend-user', 400, 'invalid_input'],
      [request('POST', JSON.stringify({ reason: 'x' })), 'actions/suspend-user', 400, 'invalid_input'],
      [request('POST', JSON.stringify({ userId: 'a', reason: 'x', until: 'soon' })), 'actions/suspend-user', 400, 'invalid_input'],
      [request('POST', JSON.stringify({ conversationId: 'c', messageId: 7, reason: 'x' })), 'actions/remove-message', 400, 'invalid_input'],
      [request('POST', JSON.stringify({ conversationId: 'c'.repeat(201), reason: 'x' })), 'actions/close-conversation', 400, 'invalid_input'],
      [request('POST', JSON.stringify({ reportId: 'r', reporterUserId: 'b' })), 'actions/resolve-report', 400, 'invalid_input'],
      [request('POST', JSON.stringify({ userId: 'a', reason: 'x' })), 'actions/revoke-device', 400, 'invalid_input'],
      [request('POST', JSON.stringify({ x: 'y'.repeat(MAX_ACTION_BODY_BYTES) })), 'actions/suspend-user', 413, 'payload_too_large'],
      [request('GET'), 'actions/suspend-user', 405, 'method_not_allowed'],
      [request('POST', '{}'), 'state', 405, 'method_not_allowed'],
      [request('POST', '{}'), 'actions/delete-everything', 404, 'route_not_found'],
    ]
    for (const [req, route, status, code] of cases) {
      const [s, body] = await handleOperatorApi(deps, req, `/operator/api/${route}`)
      expect([s, (body as { error: { code: string } }).error.code], route).toEqual([status, code])
    }
    expect(calls).toEqual([])
    expect(events).toEqual([])
  })

  it('keeps the codes of parley.moderation refusals', async () => {
    const { deps, events } = fakeDeps()
    const post = (name: string, body: object) => handleOperatorApi(deps, request('POST', JSON.stringify(body)), `/operator/api/actions/${name}`)
    expect(await post('suspend-user', { userId: 'nobody', reason: 'x' })).toEqual([404, { error: { code: 'not_found', message: 'unknown user' } }])
    expect((await post('suspend-user', { userId: 'alice', reason: '' }))).toEqual([400, { error: { code: 'invalid_input', message: '"reason" expected a non-empty string' } }])
    expect((await post('resolve-report', { reportId: 'done', reporterUserId: 'bob', resolution: 'x' }))[0]).toBe(409)
    expect(events).toEqual([])
  })
})

describe('operator event stream', () => {
  function fakeResponse() {
    const written: string[] = []
    let ended = 0
    const res = {
      writeHead: () => res, write: (c: string) => void written.push(c), end: (c?: string) => { if (c) written.push(c); ended++ }, on: () => res,
    } as unknown as ServerResponse
    return { res, written, ended: () => ended }
  }

  it('pushes a change to every open stream and ends them on close', () => {
    const hub = new OperatorEvents()
    const { res, written, ended } = fakeResponse()
    hub.subscribe(res, {}, { id: 's1', expiresAt: Date.now() + 60_000 })
    hub.publish({ kind: 'report', id: 'r1' })
    expect(written.join('')).toContain('event: changed\ndata: {"kind":"report","id":"r1"}\n\n')
    expect(hub.size).toBe(1)
    hub.close()
    expect(ended()).toBe(1)
    expect(hub.size).toBe(0)
  })

  it('ends a stream with its session: at sign-out, at expiry, and once the session is gone', () => {
    vi.useFakeTimers({ now: 0 })
    try {
      const live = new Set(['a', 'b', 'c'])
      const hub = new OperatorEvents((id) => live.has(id))
      const a = fakeResponse()
      const b = fakeResponse()
      const c = fakeResponse()
      hub.subscribe(a.res, {}, { id: 'a', expiresAt: OPERATOR_SESSION_MS })
      hub.subscribe(b.res, {}, { id: 'b', expiresAt: 60_000 })
      hub.subscribe(c.res, {}, { id: 'c', expiresAt: OPERATOR_SESSION_MS })
      hub.endSession('a')
      expect([a.ended(), b.ended(), c.ended()]).toEqual([1, 0, 0])
      expect(a.written.join('')).toContain('event: ended')
      vi.advanceTimersByTime(60_000)
      expect([a.ended(), b.ended(), c.ended()]).toEqual([1, 1, 0])
      // Session c dropped (too many sessions): the next heartbeat ends its stream.
      live.delete('c')
      vi.advanceTimersByTime(OPERATOR_STREAM_HEARTBEAT_MS)
      expect([a.ended(), b.ended(), c.ended()]).toEqual([1, 1, 1])
      // Ended streams get nothing more.
      hub.publish({ kind: 'report', id: 'r2' })
      expect([a, b, c].some((x) => x.written.join('').includes('r2'))).toBe(false)
      expect(hub.size).toBe(0)
      hub.close()
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('transcript words', () => {
  it('names each failure, the gaps and the coverage', () => {
    const r = report()
    expect(entryBadge(r.entries[0]!)).toMatchObject({ ok: true, label: '✓ verified' })
    expect(entryBadge(r.entries[1]!).label).toBe('✗ content does not match what the sender committed to')
    expect(verdictText(r)).toBe('Transcript not verified: 1 of 2 messages failed the franking check; messages are missing between entries. Rely only on the entries marked verified.')
    const w = coverageTexts(r)
    expect(w.gaps).toContain('message #2 of this conversation is not in the report')
    expect(w.coverage).toBe('Coverage: 1 later message the reporter’s device received or sent is not in the report.')
    expect(w.order).toBeNull()
  })

  it('says so when all is verified and complete', () => {
    const r = report({ entries: [report().entries[0]!], transcript: { verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 } })
    expect(verdictText(r)).toBe('Transcript verified: its one message is proven genuine.')
    expect(verdictText({ ...r, entries: [r.entries[0]!, { ...r.entries[0]!, seq: 2 }] })).toBe('Transcript verified: all 2 messages proven genuine, in order, with no gaps.')
    expect(coverageTexts(r)).toEqual({ gaps: null, order: null, coverage: expect.stringContaining('reaches the last message') })
  })
})

describe('in force, from the audit log', () => {
  const a = (action: AuditEntry['action'], target: string, details: AuditEntry['details'] = {}): AuditEntry => ({ id: 0, at: 0, actor: 'operator', action, target, reason: 'x', details })
  it('follows suspensions, revocations, closures and removals', async () => {
    const tail = new AuditTail({
      auditLog: async () => [
        a('suspend_user', 'alice'), a('suspend_user', 'carol', { until: 50 }), a('suspend_user', 'dave'), a('unsuspend_user', 'dave'),
        a('close_conversation', 'c1'), a('remove_message', 'c1', { messageId: 'm1' }), a('revoke_device', 'erin', { deviceId: 'd9' }),
        a('revoke_device', 'frank', { deviceId: 'd1' }),
      ].map((e, id) => ({ ...e, id })),
    })
    await tail.sync()
    const f = inForce(tail.force(new Set(['c1']), new Set(['m1', 'm2']), new Set(['erin/d9'])), 100)
    expect([...f.revoked]).toEqual(['erin/d9'])
    expect([...f.suspended]).toEqual(['alice'])
    expect([...f.closed]).toEqual(['c1'])
    expect([...f.removed]).toEqual(['m1'])
  })
})

describe('chat: what a moderator did', () => {
  const msg = (id: string, ts: number): MessageView => ({
    key: id, delivery: null,
    message: { id, conversationId: 'c', ts, sender: { userId: 'a', deviceId: 'd' }, outgoing: false, text: id, attachments: [], encryption: 'e2ee', status: 'received' } as Message,
  })
  it('hides a removed message and keeps the notice in its place', () => {
    const notices: Notice[] = [{ kind: 'message_removed', conversationId: 'c', messageId: 'm2', ts: 25 }]
    const items = timeline([msg('m1', 10), msg('m2', 20), msg('m3', 30)], notices, [], 'e2ee')
    expect(items.map((i) => (i.kind === 'message' ? i.view.message.id : i.kind))).toEqual(['m1', 'notice', 'm3'])
    expect([...removedMessageIds(notices)]).toEqual(['m2'])
    expect(isClosed(notices)).toBe(false)
    expect(isClosed([{ kind: 'conversation_closed', conversationId: 'c', ts: 1 }])).toBe(true)
  })

  it('demo canMessage: contacts allowed, strangers arrive as requests', () => {
    expect(demoCanMessage('alice', 'bob')).toBe('allow')
    expect(demoCanMessage('dave', 'bob')).toBe('request')
    expect(demoCanMessage('bob', 'dave')).toBe('request')
  })
})

describe('report card actions', () => {
  const force = { suspended: new Set<string>(), revoked: new Set<string>(), closed: new Set<string>(), removed: new Set<string>() }
  const card = (r: VerifiedReport) => {
    const item: QueueItem = { reporterUserId: 'bob', reportId: r.reportId, conversationId: 'c1', receivedAt: 0, status: 'open', report: r }
    return renderToStaticMarkup(createElement(ReportCard, { item, force, act: async () => {} }))
  }
  const forged = { messageId: 'victim-msg', seq: 4, ts: 0, sender: { userId: 'innocent', deviceId: 'd9' }, text: 'made up', attachments: [], verified: false, failure: 'bad_binding' as const }

  it('offers no action on a user or message named only by a forged entry', () => {
    const html = card(report({ entries: [forged] }))
    expect(html).toContain('data-message-id="victim-msg"')
    expect(html).not.toContain('data-testid="suspend-user"')
    expect(html).not.toContain('data-testid="remove-message"')
    expect(html).not.toContain('data-testid="revoke-device"')
    expect(html).toContain('data-testid="entry-not-actionable"')
    expect(html).toMatch(/data-testid="unverified-senders">No suspension offered for innocent: named only in entries that failed verification/)
  })

  it('acts on verified entries only, beside a forged one (control)', () => {
    const html = card(report({ entries: [report().entries[0]!, forged] }))
    expect([...html.matchAll(/data-testid="suspend-user" data-user="([^"]+)"/g)].map((m) => m[1])).toEqual(['alice'])
    expect(html.match(/data-testid="remove-message"/g)).toHaveLength(1)
    expect([...html.matchAll(/data-testid="revoke-device" data-user="([^"]+)" data-device="([^"]+)"/g)].map((m) => `${m[1]}/${m[2]}`)).toEqual(['alice/d2'])
    expect(html).toMatch(/data-message-id="m1"[^]*data-testid="remove-message"[^]*data-message-id="victim-msg"[^]*entry-not-actionable/)
    expect(html).not.toContain('data-user="innocent"')
  })
})

