/**
 * The `npm start` app end to end in Debian Chromium: for each policy, the real server process
 * (PGlite store), two pages signed in as two users, messages both ways with receipts and
 * typing, the mode badge, the upgrade in optional-e2ee, matching safety numbers on both
 * sides, the moderation block inline (the same in every mode, never previewed), a reload that
 * keeps the upgrade notice and read ticks, and a report that shows up verified on `/operator`
 * behind the operator sign-in. Then a second browser (its own profile) linked as a device of
 * the same user. Screenshots of each step go to `test-results/web-chat/`; on a failure, every
 * open page is captured into the run's artifacts (`failure-screenshots.ts`).
 */
import { mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromeAvailable, launchBrowser, seeMessage, send, signIn as signInWith, UI_TIMEOUT, browserPolicies } from './browser-helpers.js'
import { screenshotPages } from './failure-screenshots.js'
import { EXAMPLE_DIR, spawnServer, type RunningServer } from './spawn-server.js'

const hasChrome = chromeAvailable('the web-chat browser test')

const SHOTS = join(EXAMPLE_DIR, 'test-results', 'web-chat')
const POLICY_TIMEOUT = 420_000

let context: BrowserContext
let profileDir: string

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true })
}

const signIn = (url: string, user: string, browser: BrowserContext = context): Promise<Page> => signInWith(browser, url, user)

async function safetyDigits(page: Page): Promise<string> {
  await page.getByTestId('safety-button').click()
  const digits = page.getByTestId('safety-digits')
  await digits.waitFor()
  await page.getByTestId('safety-qr').waitFor()
  const value = (await digits.getAttribute('data-digits')) ?? ''
  return value
}

describe.skipIf(!hasChrome)('web chat in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    profileDir = await mkdtemp(join(tmpdir(), 'parley-web-chat-chromium-'))
    context = await launchBrowser(profileDir)
  }, 60_000)

  afterAll(async () => {
    await context?.close().catch(() => {})
    if (profileDir) await rm(profileDir, { recursive: true, force: true })
  })

  for (const policy of browserPolicies()) {
    it(`${policy}: chat, receipts, typing, mode, ${policy === 'server-side' ? 'no upgrade' : 'safety numbers'}, block, verified report`, async () => {
      const server: RunningServer = await spawnServer({ policy })
      const pages: Page[] = []
      try {
        expect(server.policy).toBe(policy)
        const alice = await signIn(server.url, 'alice')
        const bob = await signIn(server.url, 'bob')
        pages.push(alice, bob)
        await expect.poll(() => alice.getByTestId('policy').getAttribute('data-policy')).toBe(policy)

        // alice starts the conversation; its real mode follows the policy.
        await alice.getByTestId('suggest-bob').click()
        const initial = policy === 'default-e2ee' ? 'e2ee' : 'server-side'
        await expect.poll(() => alice.getByTestId('conversation').getAttribute('data-mode')).toBe(initial)
        await send(alice, `hello bob (${policy})`)

        // bob's device stores it: an unread badge in his list, a delivered tick for alice.
        const item = bob.getByTestId('conversation-item').filter({ hasText: 'alice' })
        await expect.poll(() => item.getByTestId('unread').textContent(), { timeout: UI_TIMEOUT }).toBe('1')
        const tick = await seeMessage(alice, `hello bob (${policy})`)
        await expect.poll(() => tick.getAttribute('data-delivery'), { timeout: UI_TIMEOUT }).toMatch(/^(delivered|read)$/)

        // bob opens it and reads it: the badge goes.
        await item.click()
        const first = await seeMessage(bob, `hello bob (${policy})`)
        expect(await first.getAttribute('data-outgoing')).toBe('false')
        expect(await first.getAttribute('data-mode')).toBe(initial)
        await expect.poll(() => bob.getByTestId('mode-badge').first().getAttribute('data-mode')).toBe(initial)

        await expect.poll(() => item.getByTestId('unread').count(), { timeout: UI_TIMEOUT }).toBe(0)

        // alice gets the read receipt.
        const sent = await seeMessage(alice, `hello bob (${policy})`)
        await expect.poll(() => sent.getAttribute('data-delivery'), { timeout: UI_TIMEOUT }).toBe('read')

        // typing indicator, then a reply.
        await bob.getByTestId('composer-input').pressSequentially('hi al', { delay: 20 })
        await alice.getByTestId('typing').waitFor({ state: 'visible' })
        await shot(alice, `${policy}-1-typing`)
        await bob.getByTestId('composer-input').fill('')
        await send(bob, 'hi alice')
        await seeMessage(alice, 'hi alice')

        // the upgrade button exists only where the policy allows it.
        const upgrade = alice.getByTestId('upgrade-button')
        if (policy === 'server-side') {
          expect(await upgrade.count()).toBe(0)
          expect(await alice.getByTestId('safety-button').count()).toBe(0)
        } else if (policy === 'optional-e2ee') {
          await upgrade.click()
          await alice.getByTestId('upgrade').waitFor()
          await shot(alice, `${policy}-2-upgrade-dialog`)
          await alice.getByTestId('upgrade-confirm').click()
          await expect.poll(() => alice.getByTestId('conversation').getAttribute('data-mode')).toBe('e2ee')
          await expect.poll(() => bob.getByTestId('conversation').getAttribute('data-mode'), { timeout: UI_TIMEOUT }).toBe('e2ee')
          expect(await alice.getByTestId('upgrade-button').count()).toBe(0)
          await send(alice, 'now only we can read this')
          const secret = await seeMessage(bob, 'now only we can read this')
          expect(await secret.getAttribute('data-mode')).toBe('e2ee')
        }

        if (policy !== 'server-side') {
          // Safety numbers: 60 digits, the same on both screens.
          const a = await safetyDigits(alice)
          const b = await safetyDigits(bob)
          expect(a).toMatch(/^\d{60}$/)
          expect(b).toBe(a)
          await shot(bob, `${policy}-3-safety-number`)
          await alice.getByTestId('safety-close').click()
          await bob.getByTestId('safety-close').click()
        }

        // Moderation: the blocked word is refused inline — the same in every mode: no row, the
        // reason, the draft kept — never previewed in the list, and never arrives.
        await send(alice, 'you are a badword')
        const error = alice.getByTestId('send-error')
        await error.waitFor()
        expect(await error.getAttribute('data-code')).toBe('message_blocked')
        expect(await error.textContent()).toContain('Not sent')
        expect(await alice.getByTestId('composer-input').inputValue()).toBe('you are a badword')
        expect(await alice.getByTestId('message').filter({ hasText: 'badword' }).count()).toBe(0)
        expect(await alice.getByTestId('conversation-preview').first().textContent()).not.toContain('badword')
        await shot(alice, `${policy}-4-blocked`)
        await send(alice, 'sorry about that')
        await seeMessage(bob, 'sorry about that')
        expect(await bob.getByTestId('message').filter({ hasText: 'badword' }).count()).toBe(0)
        await expect.poll(() => alice.getByTestId('conversation-preview').first().textContent()).toBe('You: sorry about that')

        // A reload keeps the upgrade notice and alice's read ticks.
        const readBefore = await alice.locator('[data-testid=message][data-outgoing=true][data-delivery=read]').count()
        expect(readBefore).toBeGreaterThan(0)
        const noticesBefore = await alice.getByTestId('notice').count()
        if (policy === 'optional-e2ee') expect(noticesBefore).toBeGreaterThan(0)
        await alice.reload()
        await expect.poll(() => alice.getByTestId('me').textContent(), { timeout: UI_TIMEOUT }).toBe('alice')
        await alice.getByTestId('conversation-item').filter({ hasText: 'bob' }).click()
        await seeMessage(alice, 'sorry about that')
        await expect.poll(() => alice.locator('[data-testid=message][data-outgoing=true][data-delivery=read]').count()).toBeGreaterThanOrEqual(readBefore)
        expect(await alice.getByTestId('notice').count()).toBe(noticesBefore)
        if (policy === 'optional-e2ee') expect(await alice.locator('[data-testid=notice][data-kind=mode_changed]').count()).toBe(1)

        // bob reports: the dialog shows what will be sent, then the server's verification.
        await bob.getByTestId('report-button').click()
        const preview = bob.getByTestId('report-preview-item')
        await preview.first().waitFor()
        expect(await preview.count()).toBeGreaterThan(0)
        expect(await bob.getByTestId('report-preview').textContent()).toContain('sorry about that')
        // What it says about the server follows each message's mode.
        const visibility = (await bob.getByTestId('report-visibility').textContent()) ?? ''
        const readable = await bob.locator('[data-testid=report-preview-item][data-mode=server-side]').count()
        if (readable > 0) expect(visibility).not.toContain('the server has never seen these messages')
        if (policy === 'optional-e2ee') {
          expect(readable).toBeGreaterThan(0)
          expect(visibility).toContain('sent before the upgrade')
        }
        if (policy === 'default-e2ee') expect(visibility).toContain('the server has never seen them')
        await bob.getByTestId('report-reason').selectOption('Harassment')
        await shot(bob, `${policy}-5-report-preview`)
        await bob.getByTestId('report-submit').click()
        const result = bob.getByTestId('report-result')
        await result.waitFor()
        const total = Number(await result.getAttribute('data-total'))
        expect(total).toBeGreaterThan(0)
        expect(Number(await result.getAttribute('data-verified'))).toBe(total)

        // The operator page needs the operator's sign-in; then it lists the report, verified.
        const operator = await context.newPage()
        pages.push(operator)
        await operator.goto(`${server.url}/operator`)
        await operator.getByTestId('operator-token').waitFor()
        expect(new URL(operator.url()).pathname).toBe('/operator/login')
        expect((await operator.request.get(`${server.url}/operator/api/state`)).status()).toBe(401)
        await operator.getByTestId('operator-token').fill('not-the-token')
        await operator.getByTestId('operator-login').click()
        await operator.getByTestId('operator-login-error').waitFor()
        await operator.getByTestId('operator-token').fill(server.operatorToken)
        await operator.getByTestId('operator-login').click()
        const report = operator.getByTestId('report').first()
        await report.waitFor()
        await shot(operator, `${policy}-6-operator`)
        expect(await report.getAttribute('data-verified')).toBe('true')
        expect(await operator.getByTestId('report-reason').first().textContent()).toBe('Harassment')
        const entries = operator.getByTestId('report-entry')
        expect(await entries.count()).toBe(total)
        expect(await operator.locator('[data-testid=report-entry][data-verified=false]').count()).toBe(0)
        expect((await operator.request.get(`${server.url}/operator/api/state`)).status()).toBe(200)
        await operator.getByTestId('operator-logout').click()
        await operator.getByTestId('operator-token').waitFor()

        // Phone width: the same conversation, one column.
        await alice.setViewportSize({ width: 390, height: 800 })
        await shot(alice, `${policy}-7-phone`)

        // Graceful shutdown on SIGTERM, with both users still connected.
        const code = await server.stop()
        if (code !== 0) console.warn(`server output (${policy}):\n${server.output()}`)
        expect(code).toBe(0)
      } catch (e) {
        console.warn(`server output (${policy}):\n${server.output()}`)
        await screenshotPages(pages, `web chat in Chromium ${policy} failure`)
        throw e
      } finally {
        for (const p of pages) await p.close().catch(() => {})
        await server.stop()
      }
    }, POLICY_TIMEOUT)
  }
  it('default-e2ee: a second browser is linked as a device of the same user', async () => {
    const server: RunningServer = await spawnServer({ policy: 'default-e2ee' })
    const secondDir = await mkdtemp(join(tmpdir(), 'parley-web-chat-chromium-2-'))
    const second = await launchBrowser(secondDir)
    const pages: Page[] = []
    try {
      const alice = await signIn(server.url, 'alice')
      const bob = await signIn(server.url, 'bob')
      pages.push(alice, bob)
      await alice.getByTestId('suggest-bob').click()
      await send(alice, 'before the link')
      await bob.getByTestId('conversation-item').filter({ hasText: 'alice' }).click()
      await seeMessage(bob, 'before the link')

      // The second browser asks to be linked and shows a one-time code.
      const alice2 = await second.newPage()
      alice2.setDefaultTimeout(UI_TIMEOUT)
      pages.push(alice2)
      await alice2.goto(server.url)
      // Signing in there as alice is refused (alice's identity lives in the first browser), and
      // the page says to link instead; the refused attempt leaves nothing that blocks the link.
      await alice2.getByTestId('signin-alice').click()
      const refused = alice2.getByTestId('signin-error')
      await refused.waitFor()
      expect(await refused.textContent()).toContain('Link this browser')
      await alice2.getByTestId('link-start').click()
      await alice2.getByTestId('link-name').fill('alice')
      await alice2.getByTestId('link-request').click()
      const code = (await alice2.getByTestId('link-code').textContent())?.trim() ?? ''
      expect(code.length).toBeGreaterThan(0)
      await shot(alice2, 'link-1-code')

      // alice types it in the first browser.
      await alice.getByTestId('link-device').click()
      await alice.getByTestId('link-code-input').fill(code)
      await alice.getByTestId('link-code-submit').click()
      await alice.getByTestId('link-done').waitFor()
      await alice.getByTestId('link-device-close').click()

      // The second browser is now alice, with the conversation pinned E2EE.
      await expect.poll(() => alice2.getByTestId('me').textContent(), { timeout: UI_TIMEOUT }).toBe('alice')
      const item = alice2.getByTestId('conversation-item').filter({ hasText: 'bob' })
      await item.waitFor()
      expect(await item.getAttribute('data-mode')).toBe('e2ee')
      await item.click()

      // bob's next message reaches both of alice's browsers, end-to-end encrypted to each device.
      await send(bob, 'to both of your browsers')
      const got2 = await seeMessage(alice2, 'to both of your browsers')
      expect(await got2.getAttribute('data-mode')).toBe('e2ee')
      await seeMessage(alice, 'to both of your browsers')
      // What the new browser sends reaches bob, and shows as alice's own on her first browser.
      await send(alice2, 'from my second browser')
      await seeMessage(bob, 'from my second browser')
      const mine = await seeMessage(alice, 'from my second browser')
      expect(await mine.getAttribute('data-outgoing')).toBe('true')
      await shot(alice2, 'link-2-linked')

      // Safety numbers are the user's: the same on both of alice's browsers and bob's.
      const a1 = await safetyDigits(alice)
      const a2 = await safetyDigits(alice2)
      expect(a2).toBe(a1)
      expect(await safetyDigits(bob)).toBe(a1)
      expect(await server.stop()).toBe(0)
    } catch (e) {
      console.warn(`server output (link):\n${server.output()}`)
      await screenshotPages(pages, 'web chat in Chromium link failure')
      throw e
    } finally {
      for (const p of pages) await p.close().catch(() => {})
      await second.close().catch(() => {})
      await rm(secondDir, { recursive: true, force: true })
      await server.stop()
    }
  }, POLICY_TIMEOUT)
})
