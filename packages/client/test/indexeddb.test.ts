import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bundleForBrowser, chromeAvailable, launchChromium, servePage, type Browser, type PageServer } from './helpers/chromium.js'

describe.skipIf(!chromeAvailable)('KeyStore contract: indexedDB in Chromium', () => {
  let server: PageServer
  let browser: Browser
  beforeAll(async () => {
    const script = await bundleForBrowser(fileURLToPath(new URL('./fixtures/idb-entry.ts', import.meta.url)))
    server = await servePage(script)
    browser = await launchChromium()
  })
  afterAll(async () => {
    await browser?.close()
    await server?.close()
  })

  it('passes every contract case', async () => {
    const page = await browser.context.newPage()
    await page.goto(server.url)
    await page.waitForFunction(() => typeof window.runContract === 'function')
    const results = await page.evaluate(() => window.runContract())
    expect(results.length).toBeGreaterThan(10)
    for (const r of results) expect(r, r.name).toEqual({ name: r.name, ok: true })
  })

  it('keeps values across a page reload', async () => {
    const page = await browser.context.newPage()
    await page.goto(server.url)
    await page.waitForFunction(() => typeof window.putValue === 'function')
    await page.evaluate(() => window.putValue('reload', 'identity', { key: 'abc', n: [1, 2] }))
    await page.reload()
    await page.waitForFunction(() => typeof window.getValue === 'function')
    expect(await page.evaluate(() => window.getValue('reload', 'identity'))).toEqual({ key: 'abc', n: [1, 2] })
  })
})
