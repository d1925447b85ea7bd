/**
 * The web chat's small pieces in-process: option parsing (flags, environment, the bare policy
 * npm forwards), demo auth, the operator sign-in (per-address throttle, origin check), the
 * operator page's escaping, the report dialog's words, the timeline merge, and the persisted
 * server keys.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UnauthorizedError } from '@parley/protocol'
import { demoAuthenticate, demoUserId } from '../src/demo-auth.js'
import { escapeHtml, renderLoginPage, renderOperatorPage } from '../src/operator-page.js'
import {
  cookieValue, OPERATOR_COOKIE, OPERATOR_SESSION_MS, OperatorSessions, operatorTokenMatches, sessionCookie,
} from '../src/operator-auth.js'
import { visibilityText } from '../src/ui/report-dialog.js'
import { timeline } from '../src/ui/timeline.js'
import type { Message } from '@parley/client'
import type { MessageView } from '@parley/react'
import { DEFAULT_POLICY, DEFAULT_PORT, parseOptions } from '../src/options.js'
import { LOGIN_BACKOFF_BASE_MS, LOGIN_BACKOFF_MAX_MS, LOGIN_FREE_FAILURES } from '../src/login-throttle.js'
import { sameOrigin } from '../src/operator-origin.js'
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
  const ip = '127.0.0.1'

  it('compares tokens whatever their type or length', () => {
    expect(operatorTokenMatches(token, token)).toBe(true)
    for (const given of ['', 'operator-token-for-test', `${token}x`, 'x'.repeat(10_000), undefined, null, 42, [token]]) {
      expect(operatorTokenMatches(token, given)).toBe(false)
    }
  })

  it('opens a session for the right token only, and it ends on logout and after its lifetime', () => {
    let now = 1_000
    const sessions = new OperatorSessions(token, () => now)
    expect(sessions.login('wrong', ip)).toBeNull()
    const id = sessions.login(token, ip)
    expect(typeof id).toBe('string')
    const cookie = `other=1; ${OPERATOR_COOKIE}=${id as string}`
    expect(sessions.valid(cookie)).toBe(true)
    expect(sessions.valid(`${OPERATOR_COOKIE}=forged`)).toBe(false)
    expect(sessions.valid(undefined)).toBe(false)
    now += OPERATOR_SESSION_MS
    expect(sessions.valid(cookie)).toBe(false)
    const again = sessions.login(token, ip) as string
    expect(sessions.logout(`${OPERATOR_COOKIE}=forged`)).toBeNull()
    expect(sessions.valid(`${OPERATOR_COOKIE}=${again}`)).toBe(true)
    expect(sessions.logout(`${OPERATOR_COOKIE}=${again}`)).toBe(again)
    expect(sessions.valid(`${OPERATOR_COOKIE}=${again}`)).toBe(false)
    expect(sessions.logout(`${OPERATOR_COOKIE}=${again}`)).toBeNull()
  })

  it('never locks the operator out: wrong tokens from anyone never refuse the right one', () => {
    let now = 0
    const sessions = new OperatorSessions(token, () => now)
    // An attacker floods wrong tokens, from one address and from many.
    for (let i = 0; i < 200; i++) sessions.login(`wrong-${i}`, 'attacker')
    for (let i = 0; i < 200; i++) sessions.login(`wrong-${i}`, `10.0.${i}.1`)
    expect(sessions.login('wrong', 'attacker')).toBe('throttled')
    // The right token gets in, from the attacker's address too (it is 256 bits; guessing is hopeless).
    expect(typeof sessions.login(token, ip)).toBe('string')
    expect(typeof sessions.login(token, 'attacker')).toBe('string')
  })

  it('throttles wrong tokens per address, each wait twice the last', () => {
    let now = 0
    const sessions = new OperatorSessions(token, () => now)
    for (let i = 0; i < LOGIN_FREE_FAILURES; i++) expect(sessions.login(`wrong-${i}`, 'a')).toBeNull()
    expect(sessions.login('wrong', 'a')).toBe('throttled')
    // Another address is not held up by this one.
    expect(sessions.login('wrong', 'b')).toBeNull()
    now += LOGIN_BACKOFF_BASE_MS
    expect(sessions.login('wrong', 'a')).toBeNull()
    now += LOGIN_BACKOFF_BASE_MS
    expect(sessions.login('wrong', 'a')).toBe('throttled')
    now += LOGIN_BACKOFF_BASE_MS
    expect(sessions.login('wrong', 'a')).toBeNull()
    // The wait grows to the cap and no further.
    for (let i = 0; i < 40; i++) {
      now += LOGIN_BACKOFF_MAX_MS
      expect(sessions.login('wrong', 'a')).toBeNull()
    }
    now += LOGIN_BACKOFF_MAX_MS - 1
    expect(sessions.login('wrong', 'a')).toBe('throttled')
  })

  it('accepts state-changing operator requests from its own origin only', () => {
    const host = 'localhost:3000'
    expect(sameOrigin({ host, origin: 'http://localhost:3000' })).toBe(true)
    expect(sameOrigin({ host, origin: 'https://localhost:3000' })).toBe(true)
    // Referrer-Policy: no-referrer makes a browser send `Origin: null` on same-origin POSTs.
    expect(sameOrigin({ host, origin: 'null', 'sec-fetch-site': 'same-origin' })).toBe(true)
    expect(sameOrigin({ host, 'sec-fetch-site': 'same-origin' })).toBe(true)
    expect(sameOrigin({ host, origin: 'http://evil.example' })).toBe(false)
    expect(sameOrigin({ host, origin: 'http://localhost:3001' })).toBe(false)
    expect(sameOrigin({ host, origin: 'http://localhost:3000', 'sec-fetch-site': 'cross-site' })).toBe(false)
    expect(sameOrigin({ host, origin: 'null' })).toBe(false)
    expect(sameOrigin({ host, 'sec-fetch-site': 'same-site' })).toBe(false)
    expect(sameOrigin({ host })).toBe(false)
    expect(sameOrigin({ origin: 'http://localhost:3000' })).toBe(false)
  })

  it('sets an HttpOnly, SameSite=Strict cookie and reads it back', () => {
    expect(sessionCookie('abc')).toMatch(/^parley_operator=abc; HttpOnly; SameSite=Strict; Path=\/operator; Max-Age=\d+$/)
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
