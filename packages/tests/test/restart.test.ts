/**
 * Restart: a Node client with fileKeyStore is SIGKILLed mid-send, restarts, resends its
 * queue (same clientMessageId), and the peer decrypts every queued message exactly once.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import type { ErrorPayload, Message, ParleyClient } from '@parley/client'
import type { ModerationPlugin } from '@parley/protocol'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

const CHILD = fileURLToPath(new URL('./fixtures/restart-client.ts', import.meta.url))
const COUNT = 40

function run(args: string[], onLine: (line: string, kill: () => void) => void): Promise<number | null> {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@parley/source', CHILD, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
  let buf = ''
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString()
    let i: number
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i)
      buf = buf.slice(i + 1)
      onLine(line, () => child.kill('SIGKILL'))
    }
  })
  return new Promise((r) => child.once('exit', (code) => r(code)))
}

describe('restart after SIGKILL mid-send', () => {
  let server: TestServer
  let bob: ParleyClient
  let dir: string
  afterAll(async () => {
    await bob?.close()
    await server?.close()
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('resends the queue and the peer decrypts each message exactly once', async () => {
    // After the fifth message the server takes 400 ms per envelope before storing it, so the
    // kill always lands with messages queued, some sent but not yet acked (the resend of
    // those must be deduplicated by clientMessageId), and some never sent.
    let envelopes = 0
    const slowAfterFive: ModerationPlugin = {
      name: 'slow-after-five',
      version: '1.0.0',
      checkEnvelope: async () => {
        if (++envelopes > 5 && envelopes <= 5 + COUNT) await new Promise((r) => setTimeout(r, 400))
        return { action: 'allow' }
      },
    }
    server = await startServer({ policy: 'default-e2ee', plugins: [slowAfterFive] })
    dir = await mkdtemp(join(tmpdir(), 'parley-restart-'))
    const path = join(dir, 'alice.json')
    bob = await connect(server.url, 'bob')
    const got: Message[] = []
    const errors: ErrorPayload[] = []
    bob.on('message', (m) => m.status === 'received' && got.push(m))
    bob.on('error', (e) => errors.push(e))

    const queued = new Set<string>()
    let acked = 0
    const code = await run([server.url, path, 'send', String(COUNT)], (line, kill) => {
      if (line.startsWith('queued ')) queued.add(line.slice(7))
      if (line.startsWith('acked ') && ++acked === 5) kill()
    })
    expect(code).toBeNull() // killed
    expect(acked).toBeGreaterThanOrEqual(5)
    expect(queued.size).toBeGreaterThan(acked) // killed mid-send: some queued, not all acked

    const lines: string[] = []
    const resumed = await run([server.url, path, 'resume'], (line) => lines.push(line))
    expect(resumed).toBe(0)
    expect(lines).toContain('drained')
    await waitFor(() => got.length >= queued.size, 20_000, 'bob receives every queued message')
    await new Promise((r) => setTimeout(r, 200)) // anything duplicated would arrive now
    const texts = got.map((m) => m.text)
    expect(new Set(texts).size).toBe(texts.length) // exactly once
    for (const t of queued) expect(texts).toContain(t)
    expect(got.every((m) => m.encryption === 'e2ee')).toBe(true)
    expect(errors).toEqual([])
  }, 90_000)
})
