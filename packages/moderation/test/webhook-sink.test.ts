import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { ConnectionError, PluginFailedError } from '@parley/protocol'
import { createPipeline, signWebhookBody, verifyWebhookSignature, webhookSink, SIGNATURE_HEADER, TIMESTAMP_HEADER, type WebhookBody } from '../src/index.js'
import { ctx, report } from './fixtures.js'

const SECRET = 'a-shared-secret-of-some-length'

interface Received {
  body: string
  headers: IncomingMessage['headers']
  at: number
  valid: boolean
}

/** A real receiver on 127.0.0.1: answers with `statuses` in turn (the last one repeats). */
async function receiver(statuses: Array<number | 'hang'>): Promise<{ url: string; got: Received[]; server: Server }> {
  const got: Received[] = []
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      // The receiver verifies exactly as a real integrator would: raw body + header + secret.
      const valid = verifyWebhookSignature(body, req.headers[SIGNATURE_HEADER] as string | undefined, SECRET)
      got.push({ body, headers: req.headers, at: performance.now(), valid })
      const status = statuses[Math.min(got.length - 1, statuses.length - 1)]!
      if (status === 'hang') return
      res.writeHead(valid ? status : 401).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  servers.push(server)
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/parley?token=t`, got, server }
}

const servers: Server[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
})

function pipelineWith(url: string, opts: { retries?: number; backoffMs?: number; reportTimeoutMs?: number } = {}) {
  const errors: PluginFailedError[] = []
  const pipeline = createPipeline({
    plugins: [webhookSink({ url, secret: SECRET, retries: opts.retries ?? 3, backoffMs: opts.backoffMs ?? 20 })],
    reportTimeoutMs: opts.reportTimeoutMs ?? 20_000,
    onError: (e) => errors.push(e),
  })
  return { pipeline, errors }
}

describe('signatures', () => {
  it('verifies its own signature and rejects any change to body, header or secret', () => {
    const body = JSON.stringify({ a: 1, text: 'é' })
    const sig = signWebhookBody(body, SECRET)
    expect(sig).toMatch(/^sha256=[0-9a-f]{64}$/)
    expect(verifyWebhookSignature(body, sig, SECRET)).toBe(true)
    expect(verifyWebhookSignature(new TextEncoder().encode(body), sig.toUpperCase().replace('SHA256', 'sha256'), SECRET)).toBe(true)
    expect(verifyWebhookSignature(body + ' ', sig, SECRET)).toBe(false)
    expect(verifyWebhookSignature(body, sig, SECRET + 'x')).toBe(false)
    expect(verifyWebhookSignature(body, sig.slice(0, -1) + (sig.endsWith('0') ? '1' : '0'), SECRET)).toBe(false)
    expect(verifyWebhookSignature(body, undefined, SECRET)).toBe(false)
    expect(verifyWebhookSignature(body, 'sha1=abc', SECRET)).toBe(false)
    expect(() => signWebhookBody(body, 'short')).toThrow(RangeError)
  })
})

describe('webhookSink against a real HTTP server', () => {
  it('delivers a signed report with a timestamp header and a body the receiver can verify', async () => {
    const r = await receiver([200])
    const { pipeline, errors } = pipelineWith(r.url)
    await pipeline.onReport(report(), ctx({ now: 1_234 }))
    expect(errors).toEqual([])
    expect(r.got).toHaveLength(1)
    const [req] = r.got
    expect(req!.valid).toBe(true)
    expect(req!.headers['content-type']).toBe('application/json')
    expect(req!.headers[TIMESTAMP_HEADER]).toBe('1234')
    const body = JSON.parse(req!.body) as WebhookBody
    expect(body).toEqual({ type: 'parley.report', sentAt: 1_234, report: report() })
  })

  it('retries after 500s with exponential backoff, then succeeds', async () => {
    const r = await receiver([500, 503, 200])
    const { pipeline, errors } = pipelineWith(r.url, { backoffMs: 40 })
    await pipeline.onReport(report(), ctx())
    expect(errors).toEqual([])
    expect(r.got).toHaveLength(3)
    expect(r.got.every((g) => g.valid)).toBe(true)
    expect(new Set(r.got.map((g) => g.body)).size).toBe(1) // same signed body each time
    // Lower bounds only (timers never fire early by more than a tick): 40 ms, then 80 ms.
    expect(r.got[1]!.at - r.got[0]!.at).toBeGreaterThanOrEqual(35)
    expect(r.got[2]!.at - r.got[1]!.at).toBeGreaterThanOrEqual(75)
  })

  it('gives up after retries+1 attempts and reports through onError, never throwing', async () => {
    const r = await receiver([500])
    const { pipeline, errors } = pipelineWith(r.url, { retries: 2, backoffMs: 5 })
    await expect(pipeline.onReport(report(), ctx())).resolves.toBeUndefined()
    expect(r.got).toHaveLength(3)
    expect(errors).toHaveLength(1)
    expect(errors[0]!.details).toEqual({ plugin: 'webhook-sink', hook: 'onReport' })
    const cause = errors[0]!.cause
    expect(ConnectionError.isInstance(cause)).toBe(true)
    expect((cause as ConnectionError).details).toMatchObject({ attempts: 3 })
    // The error names the origin, not the path or query (which may hold a token).
    expect(String((cause as Error).message)).not.toContain('token')
  })

  it('does not retry a 4xx other than 408/429', async () => {
    const r = await receiver([403])
    const { pipeline, errors } = pipelineWith(r.url, { retries: 3, backoffMs: 5 })
    await pipeline.onReport(report(), ctx())
    expect(r.got).toHaveLength(1)
    expect((errors[0]!.cause as ConnectionError).details).toMatchObject({ status: 403 })
  })

  it('retries network errors (connection refused) and then gives up', async () => {
    const r = await receiver([200])
    const url = r.url
    r.server.closeAllConnections()
    await new Promise((res) => r.server.close(res))
    servers.length = 0
    const { pipeline, errors } = pipelineWith(url, { retries: 2, backoffMs: 5 })
    await pipeline.onReport(report(), ctx())
    expect(errors).toHaveLength(1)
    expect((errors[0]!.cause as Error).message).toMatch(/3 attempts.*network error/)
  })

  it('stops when the pipeline timeout aborts a hanging receiver', async () => {
    const r = await receiver(['hang'])
    const { pipeline, errors } = pipelineWith(r.url, { reportTimeoutMs: 200, backoffMs: 5 })
    await pipeline.onReport(report(), ctx())
    expect(errors).toHaveLength(1)
    expect(errors[0]!.message).toMatch(/timed out/)
    // The hook keeps no timer alive: give the aborted fetch a moment, then check no retry storm.
    await new Promise((res) => setTimeout(res, 100))
    expect(r.got).toHaveLength(1)
  })

  it('rejects bad options', () => {
    expect(() => webhookSink({ url: 'ftp://127.0.0.1/x', secret: SECRET })).toThrow(TypeError)
    expect(() => webhookSink({ url: 'not a url', secret: SECRET })).toThrow(TypeError)
    expect(() => webhookSink({ url: 'http://127.0.0.1/', secret: 'short' })).toThrow(RangeError)
    expect(() => webhookSink({ url: 'http://127.0.0.1/', secret: SECRET, retries: -1 })).toThrow(RangeError)
  })
})
