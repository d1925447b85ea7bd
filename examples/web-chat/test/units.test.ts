/**
 * The web chat's small pieces in-process: option parsing (flags, environment, the bare policy
 * npm forwards), demo auth, the operator page's escaping and the persisted report inbox and
 * server keys.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CommanderError } from 'commander'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { UnauthorizedError, type VerifiedReport } from '@parley/protocol'
import { demoAuthenticate, demoUserId } from '../src/demo-auth.js'
import { escapeHtml, renderOperatorPage } from '../src/operator-page.js'
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
  it('escapes every user string and shows each verification result and the gaps', () => {
    expect(escapeHtml(`<a href="x">'&`)).toBe('&#60;a href=&#34;x&#34;&#62;&#39;&#38;')
    const html = renderOperatorPage([report({ reason: '"><img src=x>' })], 'default-e2ee')
    expect(html).not.toContain('<script>alert(1)')
    expect(html).not.toContain('<img src=x>')
    expect(html).toContain('&#60;script&#62;')
    expect(html).toContain('data-verified="false"')
    expect(html).toContain('content does not match what the sender committed to')
    expect(html).toContain('#2')
    expect(html).toContain('1 later message(s) the reporter received or sent are not in the report')
  })

  it('says when there are no reports', () => {
    expect(renderOperatorPage([], 'server-side')).toContain('data-testid="no-reports"')
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
