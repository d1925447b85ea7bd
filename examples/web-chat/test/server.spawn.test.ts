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
