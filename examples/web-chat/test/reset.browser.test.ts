/**
 * Account reset without a backup in the web demo (issue 17, docs/recovery.md), in Debian
 * Chromium against the real server process: alice uses one browser, then "loses" it and signs
 * in on a second browser (its own profile, so none of her keys). Sign-in is refused — her
 * identity lives elsewhere — and the page offers the reset, saying what it costs. After the
 * reset she is signed in on the second browser with a new identity and her conversation with
 * bob is there; the old end-to-end encrypted message is not (it was for the lost device).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromeAvailable, launchBrowser, seeMessage, send, signIn, UI_TIMEOUT } from './browser-helpers.js'
import { screenshotPages } from './failure-screenshots.js'
import { spawnServer, type RunningServer } from './spawn-server.js'

const hasChrome = chromeAvailable('the web-chat identity reset test')

describe.skipIf(!hasChrome)('web chat in Chromium: account reset without a backup', () => {
  let first: BrowserContext
  let firstDir: string
  beforeAll(async () => {
    firstDir = await mkdtemp(join(tmpdir(), 'parley-web-chat-reset-'))
    first = await launchBrowser(firstDir)
  }, 60_000)
  afterAll(async () => {
    await first?.close().catch(() => {})
    if (firstDir) await rm(firstDir, { recursive: true, force: true })
  })

  it('default-e2ee: a browser without alice\'s keys resets her identity and signs in with a new one', async () => {
    const server: RunningServer = await spawnServer({ policy: 'default-e2ee' })
    const secondDir = await mkdtemp(join(tmpdir(), 'parley-web-chat-reset-2-'))
    const second = await launchBrowser(secondDir)
    const pages: Page[] = []
    try {
      const alice = await signIn(first, server.url, 'alice')
      const bob = await signIn(first, server.url, 'bob')
      pages.push(alice, bob)
      await alice.getByTestId('suggest-bob').click()
      await send(alice, 'sent from the lost browser')
      await bob.getByTestId('conversation-item').filter({ hasText: 'alice' }).click()
      await seeMessage(bob, 'sent from the lost browser')
      await alice.close() // the browser is lost

      const again = await second.newPage()
      again.setDefaultTimeout(UI_TIMEOUT)
      pages.push(again)
      await again.goto(server.url)
      await again.getByTestId('signin-alice').click()
      await again.getByTestId('signin-error').waitFor()
      const box = again.getByTestId('reset-box')
      await box.waitFor()
      expect(await box.textContent()).toContain('cannot be recovered')
      await again.getByTestId('reset-identity').click()
      await expect.poll(() => again.getByTestId('me').textContent(), { timeout: UI_TIMEOUT }).toBe('alice')
      const item = again.getByTestId('conversation-item').filter({ hasText: 'bob' })
      await item.waitFor()
      await item.click()
      // The old E2EE message was for the lost browser's keys: it is not here.
      await again.waitForTimeout(500)
      expect(await again.getByTestId('message').filter({ hasText: 'sent from the lost browser' }).count()).toBe(0)
      expect(await server.stop()).toBe(0)
    } catch (e) {
      console.warn(`server output (reset):\n${server.output()}`)
      await screenshotPages(pages.filter((p) => !p.isClosed()), 'web chat reset failure')
      throw e
    } finally {
      for (const p of pages) await p.close().catch(() => {})
      await second.close().catch(() => {})
      await rm(secondDir, { recursive: true, force: true })
      await server.stop()
    }
  }, 300_000)
})
