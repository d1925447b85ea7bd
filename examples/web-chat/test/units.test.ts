/**
 * The web chat's small pieces in-process: option parsing (flags, environment, the bare policy
 * npm forwards), demo auth, the operator sign-in, the operator page's escaping, the report
 * dialog's words, the timeline merge, and the persisted report inbox and server keys.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UnauthorizedError, type VerifiedReport } from '@parley/protocol'
import { demoAuthenticate, demoUserId } from '../src/demo-auth.js'
import { escapeHtml, renderLoginPage, renderOperatorPage } from '../src/operator-page.js'
import {
  cookieValue, MAX_LOGIN_FAILURES_PER_MINUTE, OPERATOR_COOKIE, OPERATOR_SESSION_MS, OperatorSessions, operatorTokenMatches, sessionCookie,
} from '../src/operator-auth.js'
import { visibilityText } from '../src/ui/report-dialog.js'
import { timeline } from '../src/ui/timeline.js'
import type { Message } from '@parley/client'
import type { MessageView } from '@parley/react'
import { DEFAULT_POLICY, DEFAULT_PORT, parseOptions } from '../src/options.js'
import { openReportLog, REPORT_LOG_FILE } from '../src/report-log.js'
import { loadServerKeys, SERVER_KEYS_FILE } from '../src/server-keys.js'

const argv = (...args: string[]) => ['node', 'server.ts', ...args]

describe('parseOptions', () => {
  it('defaults', () => {
    const o = parseOptions(argv(), {})
    expect(o.policy).toBe(DEFAULT_POLICY)
    expect(o.port).toBe(DEFAULT_PORT)
    expect(o.host).toBe('127.0.0.1')
  })

  it('reads flags, then the environment', () => {
    expect(parseOptions(argv('--policy', 'server-side', '--port', '0'), { PARLEY_POLICY: 'default-e2ee', PORT: '9' })).toMatchObject({ policy: 'server-side', port: 0 })
    expect(parseOptions(argv(), { PARLEY_POLICY: 'default-e2ee', PORT: '0', PARLEY_DATA_DIR: '/tmp/x' })).toMatchObject({ policy: 'default-e2ee', port: 0, dataDir: '/tmp/x' })
  })

  it('accepts the bare policy and npm_config_policy that `npm start -- --policy p` produces', () => {
    expect(parseOptions(argv('default-e2ee'), { npm_config_policy: 'default-e2ee' }).policy).toBe('default-e2ee')
    expect(parseOptions(argv(), { npm_config_policy: 'server-side' }).policy).toBe('server-side')
  })

  it('rejects an unknown policy, a bad port and extra arguments', () => {
    for (const args of [['--policy', 'nope'], ['--port', '70000'], ['--port', 'x'], ['nope'], ['server-side', 'extra']]) {
      expect(() => parseOptions(argv(...args), {}), args.join(' ')).toThrow(CommanderError)
    }
    expect(() => parseOptions(argv(), { PARLEY_POLICY: 'nope' })).toThrow(CommanderError)
  })

  it('takes the operator token from the environment only, and refuses a short one', () => {
    expect(parseOptions(argv(), {}).operatorToken).toBeUndefined()
    expect(parseOptions(argv(), { PARLEY_OPERATOR_TOKEN: 'x'.repeat(16) }).operatorToken).toBe('x'.repeat(16))
    expect(() => parseOptions(argv(), { PARLEY_OPERATOR_TOKEN: 'short' })).toThrow(CommanderError)
  })
})

describe('operator sign-in', () => {
  const token = 'operator-token-for-tests'

  it('compares tokens whatever their type or length', () => {
    expect(operatorTokenMatches(token, token)).toBe(true)
    for (const given of ['', 'operator-token-for-test', `${token}x`, 'x'.repeat(10_000), undefined, null, 42, [token]]) {
      expect(operatorTokenMatches(token, given)).toBe(false)
    }
  })

  it('opens a session for the right token only, and it ends on logout and after its lifetime', () => {
    let now = 1_000
    const sessions = new OperatorSessions(token, () => now)
    expect(sessions.login('wrong')).toBeNull()
    const id = sessions.login(token)
    expect(typeof id).toBe('string')
    const cookie = `other=1; ${OPERATOR_COOKIE}=${id as string}`
    expect(sessions.valid(cookie)).toBe(true)
    expect(sessions.valid(`${OPERATOR_COOKIE}=forged`)).toBe(false)
    expect(sessions.valid(undefined)).toBe(false)
    now += OPERATOR_SESSION_MS
    expect(sessions.valid(cookie)).toBe(false)
    const again = sessions.login(token) as string
    sessions.logout(`${OPERATOR_COOKIE}=${again}`)
    expect(sessions.valid(`${OPERATOR_COOKIE}=${again}`)).toBe(false)
  })

  it('throttles wrong tokens, even the right one after too many', () => {
    let now = 0
    const sessions = new OperatorSessions(token, () => now)
    for (let i = 0; i < MAX_LOGIN_FAILURES_PER_MINUTE; i++) expect(sessions.login(`wrong-${i}`)).toBeNull()
    expect(sessions.login(token)).toBe('throttled')
    now += 60_000
    expect(typeof sessions.login(token)).toBe('string')
  })

  it('sets an HttpOnly, SameSite=Strict cookie and reads it back', () => {
    expect(sessionCookie('abc')).toMatch(/^parley_operator=abc; HttpOnly; SameSite=Strict; Path=\/; Max-Age=\d+$/)
    expect(sessionCookie('', 0)).toContain('Max-Age=0')
    expect(cookieValue('a=1; parley_operator=xyz; b=2', OPERATOR_COOKIE)).toBe('xyz')
    expect(cookieValue('a=1', OPERATOR_COOKIE)).toBeUndefined()
  })

  it('renders the login form with an escaped error', () => {
    expect(renderLoginPage('<b>no</b>')).toContain('&#60;b&#62;no')
    expect(renderLoginPage()).toContain('action="/operator/login"')
  })
})

const msg = (over: Partial<Message>): Message => ({
  id: 'm', conversationId: 'c', seq: 1, ts: 10, sender: { userId: 'alice', deviceId: 'd' }, outgoing: false, text: 't',
  attachments: [], encryption: 'server-side', status: 'received', ...over,
})

describe('report dialog words', () => {
  it('says the server never saw only what was end-to-end encrypted', () => {
    expect(visibilityText([msg({ encryption: 'e2ee' }), msg({ encryption: 'e2ee' })])).toContain('the server has never seen them')
    const mixed = visibilityText([msg({}), msg({ encryption: 'e2ee' })])
    expect(mixed).toContain('1 of these messages was sent end-to-end encrypted')
    expect(mixed).toContain('sent before the upgrade')
    expect(mixed).not.toContain('never seen these messages')
    expect(visibilityText([msg({})])).not.toContain('never')
  })
})

describe('timeline', () => {
  it('puts notices and errors between messages by time', () => {
    const views: MessageView[] = [10, 30].map((ts) => ({ key: `k${ts}`, message: msg({ id: `m${ts}`, ts }), delivery: null }))
    const items = timeline(views, [{ kind: 'mode_changed', conversationId: 'c', encryption: 'e2ee', by: 'bob', ts: 20 }], [], 'e2ee')
    expect(items.map((i) => i.kind)).toEqual(['message', 'notice', 'message'])
    expect(items[1]!.kind === 'notice' && items[1]!.text).toContain('bob turned on end-to-end encryption')
  })
})

describe('demo auth', () => {
  it('takes the token as the user name, and only well-formed lowercase names', () => {
    expect(demoAuthenticate({ auth: { token: 'alice' } })).toEqual({ userId: 'alice' })
    for (const token of ['', 'Alice', 'a b', '-x', 'x'.repeat(33), 42, undefined]) {
      expect(() => demoAuthenticate({ auth: { token } })).toThrow(UnauthorizedError)
    }
    expect(demoUserId('  Bob ')).toBe('bob')
  })
})

const report = (over: Partial<VerifiedReport> = {}): VerifiedReport => ({
  reportId: 'r1',
  conversationId: 'c1',
  reporter: { userId: 'bob', deviceId: 'd1' },
  reason: 'spam',
  receivedAt: 0,
  entries: [
    { messageId: 'm1', seq: 1, ts: 0, sender: { userId: 'alice', deviceId: 'd2' }, text: '<script>alert(1)</script>', attachments: [], verified: true },
    { messageId: 'm3', seq: 3, ts: 0, sender: { userId: 'alice', deviceId: 'd2' }, text: 'forged', attachments: [], verified: false, failure: 'bad_opening' },
  ],
  transcript: { verified: false, ordered: true, gaps: [2], complete: false, laterDelivered: 1 },
  ...over,
})

describe('operator page', () => {
  it('is a shell for the console, with the policy escaped', () => {
    expect(escapeHtml(`<a href="x">'&`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;')
    const html = renderOperatorPage('default-e2ee')
    expect(html).toContain('<div id="console">')
    expect(html).toContain('src="/operator/console.js"')
    expect(html).toContain('data-testid="operator-logout"')
    expect(html).not.toContain('<script>')
  })
})

describe('persisted state', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-web-chat-units-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it('keeps reports across restarts, once per report id, newest first', async () => {
    const log = await openReportLog(dir)
    await log.add(report({ reportId: 'a' }))
    await log.add(report({ reportId: 'a' }))
    await log.add(report({ reportId: 'b' }))
    expect(log.list().map((r) => r.reportId)).toEqual(['b', 'a'])
    const again = await openReportLog(dir)
    expect(again.list().map((r) => r.reportId)).toEqual(['b', 'a'])
    expect(((await stat(join(dir, REPORT_LOG_FILE))).mode & 0o777).toString(8)).toBe('600')
  })

  it('creates the server keys once (0600) and loads the same ones after', async () => {
    const first = await loadServerKeys(dir)
    const second = await loadServerKeys(dir)
    expect(second.instanceId).toBe(first.instanceId)
    expect(second.frankingKeys.keys[second.frankingKeys.currentKid]).toEqual(first.frankingKeys.keys[first.frankingKeys.currentKid])
    expect(first.frankingKeys.keys[first.frankingKeys.currentKid]).not.toEqual(first.dataKeys.keys[first.dataKeys.currentKid])
    expect(((await stat(join(dir, SERVER_KEYS_FILE))).mode & 0o777).toString(8)).toBe('600')
    expect(await readFile(join(dir, SERVER_KEYS_FILE), 'utf8')).toContain(first.instanceId)
  })
})
