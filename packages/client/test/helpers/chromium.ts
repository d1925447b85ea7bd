/**
 * Test helper: bundles a browser entry with esbuild (workspace packages resolved to source),
 * serves it from a loopback HTTP server and drives Debian Chromium through playwright-core.
 */
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { build } from 'esbuild'
import { chromium, type BrowserContext } from 'playwright-core'

export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium'
export const chromeAvailable = existsSync(CHROME_PATH)
if (!chromeAvailable) {
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROME_PATH} (CI=true: browser tests must run)`)
  console.warn(`skipping browser tests: Chromium not found at ${CHROME_PATH}`)
}

/** Bundles `entry` for the browser as one ESM script. */
export async function bundleForBrowser(entry: string, define: Record<string, string> = {}): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    conditions: ['@parley/source', 'browser', 'module', 'import'],
    define,
    logLevel: 'silent',
  })
  return out.outputFiles[0]!.text
}

export interface PageServer {
  url: string
  close(): Promise<void>
}

/** Serves `/` (an HTML page loading `/app.js`) and `/app.js` on 127.0.0.1. */
export async function servePage(script: string): Promise<PageServer> {
  const html = '<!doctype html><html><head><meta charset="utf-8"><title>parley test</title></head><body><script type="module" src="/app.js"></script></body></html>'
  const server: Server = createServer((req, res) => {
    if (req.url === '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript; charset=utf-8' })
      res.end(script)
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
      res.end(html)
    }
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

export interface Browser {
  context: BrowserContext
  close(): Promise<void>
}

/** Launches Chromium with a fresh profile directory. */
export async function launchChromium(): Promise<Browser> {
  const dir = await mkdtemp(join(tmpdir(), 'parley-chromium-'))
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROME_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  })
  return {
    context,
    async close() {
      await context.close().catch(() => {})
      await rm(dir, { recursive: true, force: true })
    },
  }
}
