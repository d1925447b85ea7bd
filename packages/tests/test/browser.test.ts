/**
 * The bundled client in Debian Chromium talks to a real server; its indexedDbKeyStore keeps
 * identity, sessions and history across a page reload.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium, type BrowserContext } from 'playwright-core'
import { afterAll, describe, expect, it } from 'vitest'
import type { Message, ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium'
const available = existsSync(CHROME_PATH)
if (!available) {
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROME_PATH} (CI=true: the browser test must run)`)
  console.warn(`skipping the browser test: Chromium not found at ${CHROME_PATH}`)
}

describe.skipIf(!available)('browser client (Chromium, IndexedDB)', () => {
  let server: TestServer
  let bob: ParleyClient
  let context: BrowserContext
  let profile: string
  const http = createServer()
  afterAll(async () => {
    await context?.close().catch(() => {})
    await bob?.close()
    await server?.close()
    await new Promise<void>((r) => http.close(() => r()))
    if (profile) await rm(profile, { recursive: true, force: true })
  })

  it('exchanges E2EE messages and keeps state across a reload', async () => {
    server = await startServer({ policy: 'default-e2ee' })
    bob = await connect(server.url, 'bob')
    const bobGot: Message[] = []
    bob.on('message', (m) => m.status === 'received' && bobGot.push(m))
    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('./fixtures/browser-app.ts', import.meta.url))],
      bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
      conditions: ['@parley/source', 'browser', 'module', 'import'],
    })
    const script = bundle.outputFiles[0]!.text
    http.on('request', (req, res) => {
      if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>')
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    const pageUrl = `http://127.0.0.1:${(http.address() as { port: number }).port}/`
    profile = await mkdtemp(join(tmpdir(), 'parley-chromium-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROME_PATH, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    const p = await context.newPage()
    await p.goto(pageUrl)
    await p.waitForFunction(() => typeof window.parley === 'object')
    const first = await p.evaluate((url) => window.parley.start(url, 'alice', 'bob', 'alice-db'), server.url)
    expect(first.encryption).toBe('e2ee')
    await p.evaluate(() => window.parley.send('hello from chromium'))
    await waitFor(() => bobGot.length === 1, 15_000, 'bob receives')
    expect(bobGot[0]).toMatchObject({ text: 'hello from chromium', encryption: 'e2ee' })
    const cb = bob.conversations.get(bobGot[0]!.conversationId)!
    await cb.send({ text: 'hi browser' })
    await p.waitForFunction(() => window.parley.received().includes('hi browser'), undefined, { timeout: 15_000 })

    await p.reload()
    await p.waitForFunction(() => typeof window.parley === 'object')
    const second = await p.evaluate((url) => window.parley.start(url, 'alice', 'bob', 'alice-db'), server.url)
    expect(second.deviceId).toBe(first.deviceId) // same device identity from IndexedDB
    expect(await p.evaluate(() => window.parley.history())).toEqual(['hello from chromium', 'hi browser'])
    await cb.send({ text: 'after reload' }) // decrypts with the session state kept in IndexedDB
    await p.waitForFunction(() => window.parley.received().includes('after reload'), undefined, { timeout: 15_000 })
    await p.evaluate(() => window.parley.send('browser again'))
    await waitFor(() => bobGot.length === 2, 15_000, 'bob receives after reload')
    expect(bobGot[1]!.text).toBe('browser again')
    expect(await p.evaluate(() => window.parley.errors())).toEqual([])
  }, 90_000)
})
