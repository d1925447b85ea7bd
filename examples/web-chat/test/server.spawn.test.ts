/**
 * The `npm start` server over raw HTTP (no browser): hostile request targets and operator
 * requests from another site. Each attack is followed by a control request the same server
 * still answers, so a crash or a silently refused control cannot pass for a defence.
 */
import { connect } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { spawnServer, START_TIMEOUT_MS, type RunningServer } from './spawn-server.js'

let server: RunningServer

/** Sends `head` (request line and headers, CRLF-separated, no final blank line) as written; resolves with the raw answer. */
function raw(url: string, head: string, body = ''): Promise<string> {
  const { port } = new URL(url)
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1')
    let out = ''
    socket.setTimeout(15_000, () => socket.destroy(new Error(`no answer to ${head.split('\r\n')[0]}`)))
    socket.on('data', (d) => (out += d.toString('latin1')))
    socket.on('error', reject)
    socket.on('close', () => resolve(out))
    socket.write(`${head}\r\nHost: ${new URL(url).host}\r\nConnection: close\r\n\r\n${body}`)
  })
}

const status = (answer: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1] ?? 0)
const header = (answer: string, name: string) => new RegExp(`^${name}: (.*)$`, 'im').exec(answer.split('\r\n\r\n')[0]!)?.[1]?.trim()

/** A POST with a body and extra header lines. */
function post(path: string, headers: string[], body: string, type = 'application/x-www-form-urlencoded'): Promise<string> {
  const lines = [`POST ${path} HTTP/1.1`, ...headers, `Content-Type: ${type}`, `Content-Length: ${Buffer.byteLength(body)}`]
  return raw(server.url, lines.join('\r\n'), body)
}

const ownOrigin = () => `Origin: ${server.url}`
const EVIL = 'Origin: http://evil.example'

/** Signs in as the operator from the console's own origin; the session cookie (`name=value`). */
async function signIn(): Promise<string> {
  const answer = await post('/operator/login', [ownOrigin()], `token=${encodeURIComponent(server.operatorToken)}`)
  expect(status(answer)).toBe(303)
  const cookie = header(answer, 'set-cookie')!
  expect(cookie).toContain('Path=/operator;')
  return cookie.split(';')[0]!
}

/** Reads `/operator/api/state` with `cookie`: its status. */
async function stateStatus(cookie: string): Promise<number> {
  return status(await raw(server.url, `GET /operator/api/state HTTP/1.1\r\nCookie: ${cookie}`))
}

beforeAll(async () => {
  server = await spawnServer()
}, START_TIMEOUT_MS + 10_000)

afterAll(async () => {
  if (server) expect(await server.stop()).toBe(0)
}, 30_000)

describe('web chat over raw HTTP', () => {
  it('answers an unparseable request target with 400 and keeps serving', async () => {
    for (const target of ['//[', '//[::1', 'http://[/x', '//%']) {
      expect(status(await raw(server.url, `GET ${target} HTTP/1.1`)), target).toBe(400)
    }
    // Control: the same server, still alive, answers an ordinary request.
    const info = await raw(server.url, 'GET /api/info HTTP/1.1')
    expect(status(info)).toBe(200)
    expect(info).toContain('"demoUsers"')
    expect(server.output()).not.toMatch(/ERR_INVALID_URL|exited/)
  })
})

describe('operator requests from another site', () => {
  it('cannot sign the operator out, and sign-out only acts with a live session', async () => {
    const cookie = await signIn()
    for (const h of [[EVIL], [], ['Origin: null'], ['Sec-Fetch-Site: cross-site'], [ownOrigin(), 'Sec-Fetch-Site: same-site']]) {
      const answer = await post('/operator/logout', [...h, `Cookie: ${cookie}`], '')
      expect(status(answer), h.join()).toBe(403)
      expect(header(answer, 'set-cookie')).toBeUndefined()
    }
    expect(await stateStatus(cookie)).toBe(200)
    // Without a live session, sign-out does nothing (no cookie cleared).
    const noSession = await post('/operator/logout', [ownOrigin(), 'Cookie: parley_operator=forged'], '')
    expect(status(noSession)).toBe(303)
    expect(header(noSession, 'set-cookie')).toBeUndefined()
    // Control: from the console's own page (Origin, or `Origin: null` + Sec-Fetch-Site as Chromium sends under no-referrer) it signs out.
    const out = await post('/operator/logout', ['Origin: null', 'Sec-Fetch-Site: same-origin', `Cookie: ${cookie}`], '')
    expect(status(out)).toBe(303)
    expect(header(out, 'set-cookie')).toMatch(/^parley_operator=; .*Max-Age=0/)
    expect(await stateStatus(cookie)).toBe(401)
  })

  it('cannot act or sign in from another origin', async () => {
    const cookie = await signIn()
    const body = JSON.stringify({ conversationId: 'c-none', reason: 'csrf' })
    const refused = await post('/operator/api/actions/close-conversation', [EVIL, `Cookie: ${cookie}`], body, 'application/json')
    expect(status(refused)).toBe(403)
    expect(refused).toContain('"cross_origin_refused"')
    const login = await post('/operator/login', [EVIL], `token=${encodeURIComponent(server.operatorToken)}`)
    expect([status(login), header(login, 'set-cookie')]).toEqual([403, undefined])
    // Control: the same action from the console's origin reaches parley.moderation (which knows no such conversation).
    const same = await post('/operator/api/actions/close-conversation', [ownOrigin(), `Cookie: ${cookie}`], body, 'application/json')
    expect(status(same)).toBe(404)
    expect(same).toContain('"not_found"')
  })

  it('lets the right token in after a flood of wrong ones', async () => {
    for (let i = 0; i < 30; i++) expect([401, 429]).toContain(status(await post('/operator/login', [ownOrigin()], `token=wrong-${i}`)))
    expect(status(await post('/operator/login', [ownOrigin()], 'token=wrong'))).toBe(429)
    await signIn()
  })

  it('ends the event stream when its session signs out', async () => {
    const cookie = await signIn()
    const { port } = new URL(server.url)
    const socket = connect(Number(port), '127.0.0.1')
    let got = ''
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()))
    socket.on('data', (d) => (got += d.toString()))
    socket.write(`GET /operator/events HTTP/1.1\r\nHost: ${new URL(server.url).host}\r\nCookie: ${cookie}\r\n\r\n`)
    await expect.poll(() => got, { timeout: 10_000 }).toContain('retry: 1000')
    expect(status(await post('/operator/logout', [ownOrigin(), `Cookie: ${cookie}`], ''))).toBe(303)
    await expect.poll(() => got, { timeout: 10_000 }).toContain('event: ended')
    // The chunked stream ends (terminating chunk); the server may keep the connection alive, so close it.
    await expect.poll(() => got, { timeout: 10_000 }).toMatch(/\r\n0\r\n\r\n$/)
    socket.end()
    await closed
  })

  it('no longer serves the plaintext report inbox', async () => {
    const cookie = await signIn()
    const answer = await raw(server.url, `GET /api/reports HTTP/1.1\r\nCookie: ${cookie}`)
    expect(header(answer, 'content-type')).toMatch(/^text\/html/)
    expect(header(answer, 'content-security-policy')).toContain("connect-src 'self';")
  })
})

