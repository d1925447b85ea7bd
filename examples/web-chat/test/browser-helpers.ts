/**
 * What the Chromium tests share: where Chromium is (and the skip-or-fail rule when it is
 * missing), a browser with its own profile, signing a page in, sending, and waiting for a
 * message.
 */
import { existsSync } from 'node:fs'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'

export const CHROME_PATH = process.env.CHROME_PATH ?? '/usr/bin/chromium'
/**
 * True when Chromium is installed. Without it the browser tests skip with a printed reason
 * locally and fail when CI=true.
 */
export function chromeAvailable(what: string): boolean {
  if (existsSync(CHROME_PATH)) return true
  if (process.env.CI === 'true') throw new Error(`Chromium not found at ${CHROME_PATH} (CI=true: ${what} must run)`)
  console.warn(`skipping ${what}: Chromium not found at ${CHROME_PATH} (set CHROME_PATH)`)
  return false
}

const ALL_POLICIES = ['server-side', 'optional-e2ee', 'default-e2ee'] as const
/**
 * The policies the per-policy Chromium tests run in: all three, or the comma-separated subset
 * in `WEB_CHAT_POLICIES` (CI's later Node passes run one, as they shrink the long load tests:
 * the browser side does not change with the server's Node). An unknown name is an error.
 */
export function browserPolicies(): readonly (typeof ALL_POLICIES)[number][] {
  const wanted = process.env.WEB_CHAT_POLICIES?.split(',').map((p) => p.trim()).filter(Boolean)
  if (!wanted?.length) return ALL_POLICIES
  for (const p of wanted) if (!(ALL_POLICIES as readonly string[]).includes(p)) throw new Error(`WEB_CHAT_POLICIES: unknown policy "${p}"`)
  return ALL_POLICIES.filter((p) => wanted.includes(p))
}

/** How long one UI step may take, ms (a loaded 2-core machine). */
export const UI_TIMEOUT = 30_000
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run']

/** A browser with its own profile (its own IndexedDB): another device. */
export async function launchBrowser(dir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, { executablePath: CHROME_PATH, headless: true, viewport: { width: 1100, height: 760 }, args: BROWSER_ARGS })
}

/** A new page in `browser` signed in as `user` (a demo user by its chip, anyone else by name). */
export async function signIn(browser: BrowserContext, url: string, user: string): Promise<Page> {
  const page = await browser.newPage()
  page.setDefaultTimeout(UI_TIMEOUT)
  page.on('pageerror', (e) => console.warn(`[${user}] page error: ${e.message}`))
  await page.goto(url)
  const chip = page.getByTestId(`signin-${user}`)
  await page.getByTestId('signin-name').waitFor()
  if (await chip.count()) await chip.click()
  else {
    await page.getByTestId('signin-name').fill(user)
    await page.getByTestId('signin-submit').click()
  }
  await expect.poll(() => page.getByTestId('me').textContent(), { timeout: UI_TIMEOUT }).toBe(user)
  return page
}

export async function send(page: Page, text: string): Promise<void> {
  await page.getByTestId('composer-input').fill(text)
  await page.getByTestId('composer-send').click()
}

/** Waits until `page` shows a message with `text` and returns that row. */
export async function seeMessage(page: Page, text: string) {
  const row = page.getByTestId('message').filter({ hasText: text }).last()
  await row.waitFor()
  return row
}
