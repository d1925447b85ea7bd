/**
 * History on a newly linked device in Chromium (issue 17): a Node device of alice with an E2EE
 * conversation links a new device running the bundled client in Debian Chromium
 * (indexedDbKeyStore); the browser reads the full history from before the link and its report
 * of the transferred messages verifies. Skipped with a printed reason without Chromium; fails
 * under CI=true.
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
import type { ParleyClient } from '@parley/client'
import { connect, fullHistory, startServer, waitFor, type TestServer } from '../helpers/parley.js'

const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium'
const available = existsSync(CHROME_PATH)
if (!available) {
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROME_PATH} (CI=true: the browser test must run)`)
  console.warn(`skipping the browser link-history test: Chromium not found at ${CHROME_PATH}`)
}

describe.skipIf(!available)('history on a device linked in Chromium (default-e2ee)', () => {
  let server: TestServer
  const clients: ParleyClient[] = []
  let context: BrowserContext
  let profile: string
  const http = createServer()
  afterAll(async () => {
    await context?.close().catch(() => {})
    for (const c of clients) await c.close()
    await server?.close()
    await new Promise<void>((r) => http.close(() => r()))
    if (profile) await rm(profile, { recursive: true, force: true })
  })

  it('the browser reads the history from before the link, and its report verifies', async () => {
    server = await startServer({ policy: 'default-e2ee' })
    const alice = await connect(server.url, 'alice')
    const bob = await connect(server.url, 'bob')
    clients.push(alice, bob)
    const toBob = await alice.conversations.open('bob')
    const toAlice = await bob.conversations.open('alice')
    const texts: string[] = []
    for (let i = 0; i < 3; i++) {
      texts.push(`node alice ${i}`, `node bob ${i}`)
      await toBob.send({ text: `node alice ${i}` })
      await toAlice.send({ text: `node bob ${i}` })
    }
    await waitFor(async () => (await fullHistory(alice, toBob.id)).length === 6, 10_000, 'alice holds all six')

    const bundle = await build({
      entryPoints: [fileURLToPath(new URL('../fixtures/browser-app.ts', import.meta.url))],
      bundle: true, format: 'esm', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent',
      conditions: ['@parley/source', 'browser', 'module', 'import'],
    })
    const script = bundle.outputFiles[0]!.text
    http.on('request', (req, res) => {
      if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(script)
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><meta charset="utf-8"><script type="module" src="/app.js"></script>')
    })
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r))
    profile = await mkdtemp(join(tmpdir(), 'parley-chromium-link-'))
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROME_PATH, headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    })
    const p = await context.newPage()
    await p.goto(`http://127.0.0.1:${(http.address() as { port: number }).port}/`)
    await p.waitForFunction(() => typeof window.parley === 'object')
    const code = await p.evaluate((url) => window.parley.requestLink(url, 'alice', 'alice-linked'), server.url)
    await alice.linkDevice(code)
    const linked = await p.evaluate(() => window.parley.finishLink('bob'))
    expect(linked.history).toEqual(texts)
    expect(linked.downloaded).toBeGreaterThan(0)
    expect(await p.evaluate(() => window.parley.report('r-browser-link'))).toEqual({ totalEntries: 5, verifiedEntries: 5 })
    await waitFor(() => server.reports.length === 1, 10_000, 'the report handled')
    expect(server.reports[0]!.transcript.verified).toBe(true)
    expect(await p.evaluate(() => window.parley.errors())).toEqual([])
  }, 120_000)
})
