/**
 * Groups end to end in Debian Chromium, in each policy, on one server per policy (the
 * `npm start` app, PGlite): alice creates a group with bob from the "New group" dialog; both
 * panels show the same verified roster (version and head hash), members, roles and title;
 * messages reach the members (under optional-e2ee after alice upgraded the group); alice adds carol (who sees the group and the same head), makes
 * bob an admin, bob renames the group, alice removes carol (carol's page says she is no longer
 * a member, and what is sent next never reaches her), then bob leaves. On a failure every open
 * page is screenshotted into the run's artifacts (`failure-screenshots.ts`).
 */
import { mkdirSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromeAvailable, launchBrowser, seeMessage, send, signIn, UI_TIMEOUT, browserPolicies } from './browser-helpers.js'
import { screenshotOnFailure } from './failure-screenshots.js'
import { EXAMPLE_DIR, spawnServer, START_TIMEOUT_MS, type RunningServer } from './spawn-server.js'

const hasChrome = chromeAvailable('the web-chat groups browser test')
const FLOW_TIMEOUT = 240_000
/** Screenshots of the steps, for people (failures go to the run's artifacts). */
const SHOTS = join(EXAMPLE_DIR, 'test-results', 'web-chat')

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `groups-${name}.png`), fullPage: true })
}

let context: BrowserContext | undefined
let profileDir: string | undefined

/** The list row of the group titled `title`. */
const groupItem = (page: Page, title: string) => page.locator(`[data-testid=conversation-item][data-kind=group][data-title="${title}"]`)
const status = (page: Page) => page.getByTestId('roster-status')
const member = (page: Page, user: string) => page.locator(`[data-testid=roster-member][data-user="${user}"]`)

/** The members `page`'s roster panel lists, as `user:role`. */
async function roster(page: Page): Promise<string[]> {
  return page.getByTestId('roster-member').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-user')}:${e.getAttribute('data-role')}`))
}

/** Waits until `page` shows a verified roster at `version`; returns its head hash. */
async function verifiedAt(page: Page, version: number): Promise<string> {
  await expect.poll(() => page.getByTestId('roster').getAttribute('data-version'), { timeout: UI_TIMEOUT }).toBe(String(version))
  await expect.poll(() => status(page).getAttribute('data-state'), { timeout: UI_TIMEOUT }).toBe('verified')
  const head = await status(page).getAttribute('data-head')
  expect(head).toMatch(/^[A-Za-z0-9+/]{43}=$/)
  expect(await page.getByTestId('roster-head').textContent()).toBe(head!.slice(0, 12))
  return head!
}

describe.skipIf(!hasChrome)('groups in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    profileDir = await mkdtemp(join(tmpdir(), 'parley-web-chat-groups-'))
    context = await launchBrowser(profileDir)
  }, 60_000)

  afterAll(async () => {
    await context?.close().catch(() => {})
    if (profileDir) await rm(profileDir, { recursive: true, force: true })
  })

  screenshotOnFailure(() => [context])

  for (const policy of browserPolicies()) {
    describe(policy, () => {
      let server: RunningServer | undefined
      const pages: Page[] = []

      beforeAll(async () => {
        server = await spawnServer({ policy })
      }, START_TIMEOUT_MS + 10_000)

      afterAll(async () => {
        for (const p of pages) await p.close().catch(() => {})
        if (!server) return
        const code = await server.stop()
        if (code !== 0) console.warn(`server output (${policy}):\n${server.output()}`)
        expect(code).toBe(0)
      }, 30_000)

      it('create, message, add, roles, rename, remove, leave: every page shows the verified roster', async () => {
        const [alice, bob, carol] = [await signIn(context!, server!.url, 'alice'), await signIn(context!, server!.url, 'bob'), await signIn(context!, server!.url, 'carol')]
        pages.push(alice, bob, carol)
        const title = `team ${policy}`
        const e2ee = policy === 'default-e2ee' ? 'e2ee' : 'server-side'

        // alice creates the group with bob: she signs version 1 and is its admin.
        await alice.getByTestId('new-group').click()
        await alice.getByTestId('group-title').fill(title)
        await alice.getByTestId('group-pick-bob').click()
        await alice.getByTestId('group-create').click()
        await expect.poll(() => alice.getByTestId('conversation').getAttribute('data-kind'), { timeout: UI_TIMEOUT }).toBe('group')
        expect(await alice.getByTestId('conversation').getAttribute('data-mode')).toBe(e2ee)
        const v1 = await verifiedAt(alice, 1)
        expect(await roster(alice)).toEqual(['alice:admin', 'bob:member'])
        expect(await alice.getByTestId('roster-title').textContent()).toBe(title)
        expect(await alice.getByTestId('roster').getAttribute('data-admin')).toBe('true')

        // bob's device verified the same chain: the same head at the same version.
        await groupItem(bob, title).click()
        expect(await verifiedAt(bob, 1)).toBe(v1)
        expect(await roster(bob)).toEqual(['alice:admin', 'bob:member'])
        expect(await bob.getByTestId('roster').getAttribute('data-admin')).toBe('false')
        expect(await bob.getByTestId('roster-add-input').count()).toBe(0) // no admin controls for a member
        await send(alice, `hello team (${policy})`)
        expect(await (await seeMessage(bob, `hello team (${policy})`)).getByTestId('message-sender').textContent()).toBe('alice')
        await shot(bob, `${policy}-1-created`)
        if (policy === 'optional-e2ee') {
          // An admin upgrades the group (a signed, one-way ModeChange every member's device checks).
          await alice.getByTestId('upgrade-button').click()
          await alice.getByTestId('upgrade-confirm').click()
          for (const p of [alice, bob]) await expect.poll(() => p.getByTestId('conversation').getAttribute('data-mode'), { timeout: UI_TIMEOUT }).toBe('e2ee')
          await send(alice, `encrypted now (${policy})`)
          await seeMessage(bob, `encrypted now (${policy})`)
        } else {
          // No upgrade to offer: server-side cannot, default-e2ee already is.
          expect(await alice.getByTestId('upgrade-button').count()).toBe(0)
        }

        // alice adds carol: version 2 everywhere, carol's page finds the group with the same head.
        await alice.getByTestId('roster-add-input').fill('carol')
        await alice.getByTestId('roster-add').click()
        const v2 = await verifiedAt(alice, 2)
        expect(v2).not.toBe(v1)
        expect(await verifiedAt(bob, 2)).toBe(v2)
        await groupItem(carol, title).click()
        expect(await verifiedAt(carol, 2)).toBe(v2)
        expect(await roster(carol)).toEqual(['alice:admin', 'bob:member', 'carol:member'])
        await expect.poll(() => groupItem(bob, title).getAttribute('data-members'), { timeout: UI_TIMEOUT }).toBe('3')

        // Roles and the title are signed changes too: bob, made admin, renames the group.
        await member(alice, 'bob').getByTestId('roster-role-toggle').click()
        await verifiedAt(bob, 3)
        expect(await roster(bob)).toEqual(['alice:admin', 'bob:admin', 'carol:member'])
        expect(await bob.getByTestId('roster').getAttribute('data-admin')).toBe('true')
        const renamed = `renamed ${policy}`
        await bob.getByTestId('roster-title-input').fill(renamed)
        await bob.getByTestId('roster-rename').click()
        await verifiedAt(alice, 4)
        expect(await alice.getByTestId('roster-title').textContent()).toBe(renamed)
        await verifiedAt(carol, 4)
        expect(await carol.getByTestId('roster-title').textContent()).toBe(renamed)
        await shot(alice, `${policy}-2-roster`)

        // alice removes carol: carol's page says so, and the next message never reaches her.
        await member(alice, 'carol').getByTestId('roster-remove').click()
        const v5 = await verifiedAt(alice, 5)
        expect(await verifiedAt(bob, 5)).toBe(v5)
        expect(await verifiedAt(carol, 5)).toBe(v5)
        await carol.getByTestId('roster-not-member').waitFor()
        expect(await carol.getByTestId('roster').getAttribute('data-member')).toBe('false')
        await carol.getByTestId('left-banner').waitFor()
        expect(await carol.getByTestId('composer-input').count()).toBe(0)
        expect(await roster(carol)).toEqual(['alice:admin', 'bob:admin'])
        await send(alice, `after carol left (${policy})`)
        await seeMessage(bob, `after carol left (${policy})`)
        expect(await carol.getByTestId('message').filter({ hasText: `after carol left (${policy})` }).count()).toBe(0)
        await shot(carol, `${policy}-3-removed`)

        // bob leaves: alice is alone, bob's page says he is no longer a member.
        await bob.getByTestId('roster-leave').click()
        await verifiedAt(alice, 6)
        expect(await roster(alice)).toEqual(['alice:admin'])
        await bob.getByTestId('roster-not-member').waitFor()
        await bob.getByTestId('left-banner').waitFor()
        expect(await bob.getByTestId('roster-leave').count()).toBe(0)
        for (const p of [alice, bob, carol]) expect(await p.getByTestId('roster-action-error').count()).toBe(0)
        await shot(alice, `${policy}-4-left`)
      }, FLOW_TIMEOUT)
    })
  }
})
