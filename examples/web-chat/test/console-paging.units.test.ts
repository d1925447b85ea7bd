/**
 * The operator console at volume: more reports and audit entries than one `parley.moderation`
 * page holds. Open reports are listed by status (resolved ones never crowd them out) a page at
 * a time (only that page is unsealed), with totals; the audit log is read incrementally,
 * newest first, and what is in force stays current past the first 1000 actions; server events
 * are coalesced into one read per window.
 */
import { PassThrough } from 'node:stream'
import type { IncomingMessage } from 'node:http'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { VerifiedReport } from '@parley/protocol'
import { MAX_MODERATION_PAGE, type AuditEntry, type ModerationApi, type ReportQueueEntry } from '@parley/server'
import { AUDIT_RESCAN_MS, AUDIT_SHOWN, AuditTail } from '../src/audit-tail.js'
import { coalesce, CONSOLE_REFRESH_WINDOW_MS } from '../src/console/coalesce.js'
import { inForce } from '../src/console/moderation-state.js'
import { handleOperatorApi, MAX_QUEUE_PAGE, type OperatorApiDeps } from '../src/operator-api.js'
import { QUEUE_PAGE_SIZE, type ConsoleState } from '../src/operator-api-types.js'

/** A `parley.moderation` read side with the store's semantics: reports newest first by status, the audit log oldest first from `since` (inclusive). */
function fakeStore() {
  const reports: ReportQueueEntry[] = []
  const audit: AuditEntry[] = []
  const reads = { audit: 0 }
  const moderation = {
    async listReports({ status, limit }: { status?: 'open' | 'resolved'; limit: number }) {
      return reports.filter((r) => !status || r.status === status).sort((a, b) => b.receivedAt - a.receivedAt).slice(0, limit)
    },
    async auditLog({ since = 0, limit }: { since?: number; limit: number }) {
      reads.audit++
      return audit.filter((e) => e.at >= since).sort((a, b) => a.at - b.at || a.id - b.id).slice(0, limit)
    },
  } as unknown as ModerationApi
  const act = (at: number, action: AuditEntry['action'], target: string, details: AuditEntry['details'] = {}) =>
    void audit.push({ id: audit.length + 1, at, actor: 'operator', action, target, reason: 'x', details })
  return { reports, audit, moderation, act, reads }
}

const getRequest = () => Object.assign(new PassThrough().end(), { method: 'GET', headers: {} }) as unknown as IncomingMessage

function depsOf(store: ReturnType<typeof fakeStore>) {
  const unsealed: string[] = []
  const deps: OperatorApiDeps = {
    moderation: store.moderation,
    getReport: async (_u, id) => {
      unsealed.push(id)
      return { reportId: id, entries: [{ messageId: `m-${id}`, sender: { userId: 'alice', deviceId: 'd1' } }] } as unknown as VerifiedReport
    },
    publish: () => {},
    audit: new AuditTail(store.moderation),
  }
  const state = async (query = '') => {
    const [status, body] = await handleOperatorApi(deps, getRequest(), '/operator/api/state', new URLSearchParams(query))
    expect(status, JSON.stringify(body)).toBe(200)
    return body as ConsoleState
  }
  return { deps, unsealed, state }
}

describe('report queue at volume', () => {
  it('lists open reports past a flood of newer resolved ones, a page at a time, unsealing only that page', async () => {
    const store = fakeStore()
    store.reports.push({ reporterUserId: 'bob', reportId: 'real', conversationId: 'c1', receivedAt: 1, status: 'open' })
    for (let i = 0; i < 1500; i++) store.reports.push({ reporterUserId: `made-up-${i}`, reportId: `r${i}`, conversationId: 'cx', receivedAt: 10 + i, status: 'resolved' })
    const { unsealed, state } = depsOf(store)
    const open = await state()
    expect(open.queue.map((q) => q.reportId)).toEqual(['real'])
    expect([open.openTotal, open.openTotalCapped, open.total]).toEqual([1, false, 1])
    expect(unsealed).toEqual(['real'])

    const resolved = await state('show=resolved&page=1')
    expect(resolved.queue.map((q) => q.reportId)).toEqual(Array.from({ length: QUEUE_PAGE_SIZE }, (_, i) => `r${1499 - QUEUE_PAGE_SIZE - i}`))
    expect([resolved.total, resolved.totalCapped, resolved.page, resolved.pageSize]).toEqual([MAX_MODERATION_PAGE, true, 1, QUEUE_PAGE_SIZE])
    expect(unsealed).toHaveLength(1 + QUEUE_PAGE_SIZE)
  })

  it('pages through an open flood to the real report, and says when there are more than it lists', async () => {
    const store = fakeStore()
    store.reports.push({ reporterUserId: 'bob', reportId: 'real', conversationId: 'c1', receivedAt: 1, status: 'open' })
    for (let i = 0; i < 1200; i++) store.reports.push({ reporterUserId: `made-up-${i}`, reportId: `f${i}`, conversationId: 'cx', receivedAt: 10 + i, status: 'open' })
    const { unsealed, state } = depsOf(store)
    const first = await state()
    expect([first.openTotal, first.openTotalCapped, first.queue.length]).toEqual([MAX_MODERATION_PAGE, true, QUEUE_PAGE_SIZE])
    expect(unsealed).toHaveLength(QUEUE_PAGE_SIZE)
    store.reports.splice(1, 1000) // the operator resolves (here: drops) the flood
    const after = await state()
    expect(after.openTotal).toBe(201)
    const last = await state(`page=${Math.floor(200 / QUEUE_PAGE_SIZE)}`)
    expect(last.queue.at(-1)!.reportId).toBe('real')
  })

  it('refuses a bad view', async () => {
    const { deps } = depsOf(fakeStore())
    for (const query of ['show=everything', 'page=-1', 'page=x', `page=${MAX_QUEUE_PAGE + 1}`, 'page=1e3']) {
      const [status, body] = await handleOperatorApi(deps, getRequest(), '/operator/api/state', new URLSearchParams(query))
      expect([status, (body as { error: { code: string } }).error.code], query).toEqual([400, 'invalid_input'])
    }
  })
})

describe('audit log at volume', () => {
  it('shows the newest actions first and keeps what is in force current past the first page', async () => {
    const store = fakeStore()
    // 2500 actions, many sharing a millisecond; alice suspended early, lifted late; carol suspended last.
    const t0 = 1_750_000_000_000
    store.act(t0, 'suspend_user', 'alice')
    for (let i = 1; i < 2497; i++) store.act(t0 + Math.floor(i / 7) * 700, 'close_conversation', `c${i}`)
    const end = t0 + 400 * 700
    store.act(end, 'unsuspend_user', 'alice')
    store.act(end, 'remove_message', 'c1', { messageId: 'm-real' })
    store.act(end + 1, 'suspend_user', 'carol')
    const { deps, state } = depsOf(store)
    store.reports.push({ reporterUserId: 'bob', reportId: 'real', conversationId: 'c2496', receivedAt: 1, status: 'open' })
    const s = await state()
    expect(s.auditTotal).toBe(2500)
    expect(s.audit).toHaveLength(AUDIT_SHOWN)
    expect(s.audit.slice(0, 3).map((e) => [e.action, e.target])).toEqual([['suspend_user', 'carol'], ['remove_message', 'c1'], ['unsuspend_user', 'alice']])
    const force = inForce(s.force, end)
    expect([...force.suspended]).toEqual(['carol'])
    expect([...force.closed]).toEqual(['c2496'])
    expect([...force.removed]).toEqual(['m-real'])

    // The next read fetches only what is new (one page), and sees it.
    const before = store.reads.audit
    store.act(end + 1, 'unsuspend_user', 'carol')
    const again = await state()
    expect(store.reads.audit - before).toBe(1)
    expect(again.auditTotal).toBe(2501)
    expect(again.audit[0]!.action).toBe('unsuspend_user')
    expect(inForce(again.force, end).suspended.size).toBe(0)
    await deps.audit.sync()
    expect(deps.audit.total).toBe(2501)
  })

  it('folds an action stamped before the newest one seen but committed after it (two operators at once)', async () => {
    const store = fakeStore()
    store.act(AUDIT_RESCAN_MS * 3, 'close_conversation', 'c1')
    const tail = new AuditTail(store.moderation)
    await tail.sync()
    store.act(AUDIT_RESCAN_MS * 3 - 5, 'suspend_user', 'mallory')
    store.act(AUDIT_RESCAN_MS * 3 + 1, 'remove_message', 'c1', { messageId: 'm1' })
    await tail.sync()
    expect(tail.total).toBe(3)
    expect(tail.newest().map((e) => e.action)).toEqual(['remove_message', 'close_conversation', 'suspend_user'])
    expect(tail.force(new Set(), new Set()).suspended).toEqual([{ userId: 'mallory', until: null }])
    await tail.sync()
    expect(tail.total).toBe(3)
  })
})

describe('console refresh', () => {
  afterEach(() => void vi.useRealTimers())

  it('reads once per window however many events arrive, and again for events after it', () => {
    vi.useFakeTimers()
    const fn = vi.fn()
    const soon = coalesce(fn, CONSOLE_REFRESH_WINDOW_MS)
    for (let i = 0; i < 50; i++) soon()
    expect(fn).not.toHaveBeenCalled()
    vi.advanceTimersByTime(CONSOLE_REFRESH_WINDOW_MS)
    expect(fn).toHaveBeenCalledTimes(1)
    // A steady stream still reads once per window (it is not starved).
    for (let i = 0; i < 10; i++) {
      soon()
      vi.advanceTimersByTime(CONSOLE_REFRESH_WINDOW_MS / 3)
    }
    vi.advanceTimersByTime(CONSOLE_REFRESH_WINDOW_MS)
    expect(fn.mock.calls.length).toBeGreaterThanOrEqual(4)
    expect(fn.mock.calls.length).toBeLessThanOrEqual(5)
    soon()
    soon.cancel()
    vi.advanceTimersByTime(CONSOLE_REFRESH_WINDOW_MS)
    expect(fn.mock.calls.length).toBeLessThanOrEqual(5)
  })
})
