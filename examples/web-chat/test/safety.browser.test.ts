/**
 * The safety controls end to end in Debian Chromium, in each policy, on one server per policy
 * (the `npm start` app, PGlite): (a) bob mutes, then blocks alice — what she sends meanwhile never reaches
 * him, unblocking restores the conversation; (b) first contact from a stranger arrives as a
 * message request — accepted it becomes a conversation; declined it comes back with the next
 * message; reported and blocked from the request it is gone; (c) the operator console — a report filed in
 * the chat appears live with verified badges, the operator revokes a device, removes a message,
 * closes the conversation and suspends the sender (the chat shows each), resolves the report, and the
 * audit log lists every action. On a failure every open page is screenshotted into the run's
 * artifacts (`failure-screenshots.ts`).
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

const hasChrome = chromeAvailable('the web-chat safety browser test')
const FLOW_TIMEOUT = 240_000
/** Screenshots of the steps, for people (failures go to the run's artifacts). */
const SHOTS = join(EXAMPLE_DIR, 'test-results', 'web-chat')

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `safety-${name}.png`), fullPage: true })
}

let context: BrowserContext | undefined
let profileDir: string | undefined

/** The conversation list row of `peer` (not a request). */
const listItem = (page: Page, peer: string) => page.locator(`[data-testid=conversation-item][data-peer="${peer}"]`)
/** The request row of `peer` in the Requests section. */
const requestItem = (page: Page, peer: string) => page.locator(`[data-testid=request-item][data-peer="${peer}"]`)

/** Waits until `page`'s own message `text` has been accepted by the server (not pending). */
async function sentOk(page: Page, text: string): Promise<void> {
  const row = await seeMessage(page, text)
  await expect.poll(() => row.getAttribute('data-delivery'), { timeout: UI_TIMEOUT }).not.toBe('pending')
  expect(await page.getByTestId('send-error').count()).toBe(0)
}

/** Opens a conversation with `peer` from the "new conversation" field. */
async function startWith(page: Page, peer: string): Promise<void> {
  await page.getByTestId('new-peer').fill(peer)
  await page.getByTestId('new-submit').click()
  await expect.poll(() => page.getByTestId('conversation').getAttribute('data-peer'), { timeout: UI_TIMEOUT }).toBe(peer)
}

describe.skipIf(!hasChrome)('safety controls in Chromium', () => {
  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true })
    profileDir = await mkdtemp(join(tmpdir(), 'parley-web-chat-safety-'))
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
      const pages = new Map<string, Page>()
      /** This policy's page of `user`, signed in on first use (one device per user). */
      const as = async (user: string): Promise<Page> => {
        let page = pages.get(user)
        if (!page) {
          page = await signIn(context!, server!.url, user)
          pages.set(user, page)
        }
        return page
      }

      beforeAll(async () => {
        server = await spawnServer({ policy })
      }, START_TIMEOUT_MS + 10_000)

      afterAll(async () => {
        for (const p of pages.values()) await p.close().catch(() => {})
        if (!server) return
        // A graceful SIGTERM with the console's event stream and every chat still connected.
        const code = await server.stop()
        if (code !== 0) console.warn(`server output (${policy}):\n${server.output()}`)
        expect(code).toBe(0)
      }, 30_000)

      it('mute, block: nothing alice sends while bob blocks her reaches him; unblock restores the conversation', async () => {
        const alice = await as('alice')
        const bob = await as('bob')
        await alice.getByTestId('suggest-bob').click()
        await send(alice, `hello bob (${policy})`)
        await listItem(bob, 'alice').click()
        await seeMessage(bob, `hello bob (${policy})`)

        // Mute holds nothing back; it only marks the conversation (no unread count).
        await bob.getByTestId('mute-button').click()
        await expect.poll(() => bob.getByTestId('mute-button').getAttribute('data-muted')).toBe('true')
        await expect.poll(() => listItem(bob, 'alice').getAttribute('data-muted')).toBe('true')
        await send(alice, 'while muted')
        await seeMessage(bob, 'while muted')
        await bob.getByTestId('mute-button').click()
        await expect.poll(() => listItem(bob, 'alice').getAttribute('data-muted')).toBe('false')

        await bob.getByTestId('block-button').click()
        await bob.getByTestId('block-dialog').waitFor()
        await shot(bob, `${policy}-1-block-dialog`)
        await bob.getByTestId('block-confirm').click()
        await expect.poll(() => bob.getByTestId('conversation').getAttribute('data-blocked')).toBe('true')
        await bob.locator('[data-testid=blocked-user][data-user=alice]').waitFor()
        await bob.getByTestId('blocked-banner').waitFor()
        expect(await listItem(bob, 'alice').getAttribute('data-blocked')).toBe('true')

        // alice is not told: her send goes through like any other.
        await send(alice, 'sent while blocked')
        await sentOk(alice, 'sent while blocked')

        // bob unblocks from his blocked list; alice's next message arrives — and the one from
        // while he blocked her, sent before it, never does.
        await bob.locator('[data-testid=blocked-user][data-user=alice]').getByTestId('unblock-user').click()
        await expect.poll(() => bob.getByTestId('blocked-list').count()).toBe(0)
        await expect.poll(() => bob.getByTestId('conversation').getAttribute('data-blocked')).toBe('false')
        await send(alice, 'sent after the unblock')
        await seeMessage(bob, 'sent after the unblock')
        expect(await bob.getByTestId('message').filter({ hasText: 'sent while blocked' }).count()).toBe(0)
        expect(await bob.getByTestId('conversation-preview').filter({ hasText: 'sent while blocked' }).count()).toBe(0)

        // The conversation works both ways again.
        await send(bob, 'welcome back')
        await seeMessage(alice, 'welcome back')
      }, FLOW_TIMEOUT)

      it('message requests: a stranger\'s first contact is a request; accept, decline, block', async () => {
        const bob = await as('bob')
        const dave = await as('dave')
        await startWith(dave, 'bob')
        await send(dave, 'hi bob, dave here')
        await sentOk(dave, 'hi bob, dave here')

        // At bob: under Requests, not in the list; opening it shows the answers on top.
        const fromDave = requestItem(bob, 'dave')
        await fromDave.waitFor()
        await expect.poll(() => fromDave.getByTestId('request-preview').textContent()).toBe('hi bob, dave here')
        expect(await listItem(bob, 'dave').count()).toBe(0)
        await fromDave.getByTestId('request-open').click()
        await bob.locator('[data-testid=request-banner][data-peer=dave]').waitFor()
        await seeMessage(bob, 'hi bob, dave here')
        await shot(bob, `${policy}-2-request`)
        await bob.getByTestId('request-banner').getByTestId('request-accept').click()

        // Accepted: a conversation like any other.
        await listItem(bob, 'dave').waitFor()
        await expect.poll(() => requestItem(bob, 'dave').count()).toBe(0)
        await expect.poll(() => bob.getByTestId('request-banner').count()).toBe(0)
        await send(bob, 'hi dave')
        await seeMessage(dave, 'hi dave')

        // erin: declined from the list, back with her next message, then blocked from the request.
        const erin = await as('erin')
        await startWith(erin, 'bob')
        await send(erin, 'erin here')
        await requestItem(bob, 'erin').waitFor()
        // A report from a request is any report: verified the same way.
        await requestItem(bob, 'erin').getByTestId('request-report').click()
        await bob.getByTestId('report-preview-item').first().waitFor()
        expect(await bob.getByTestId('report-preview').textContent()).toContain('erin here')
        await bob.getByTestId('report-reason').selectOption('Spam')
        await bob.getByTestId('report-submit').click()
        const reported = bob.getByTestId('report-result')
        await reported.waitFor()
        expect(Number(await reported.getAttribute('data-total'))).toBeGreaterThan(0)
        expect(await reported.getAttribute('data-verified')).toBe(await reported.getAttribute('data-total'))
        await bob.getByTestId('report-close').click()
        await requestItem(bob, 'erin').getByTestId('request-decline').click()
        await expect.poll(() => requestItem(bob, 'erin').count()).toBe(0)
        expect(await listItem(bob, 'erin').count()).toBe(0)
        await send(erin, 'please answer')
        await requestItem(bob, 'erin').waitFor()
        await expect.poll(() => requestItem(bob, 'erin').getByTestId('request-preview').textContent()).toBe('please answer')
        await requestItem(bob, 'erin').getByTestId('request-block').click()
        await expect.poll(() => requestItem(bob, 'erin').count()).toBe(0)
        await bob.locator('[data-testid=blocked-user][data-user=erin]').waitFor()

        // What erin sends now never reaches bob (dave's message after it does: the control).
        await send(erin, 'third try')
        await sentOk(erin, 'third try')
        await send(dave, 'still there?')
        await listItem(bob, 'dave').click()
        await seeMessage(bob, 'still there?')
        expect(await requestItem(bob, 'erin').count()).toBe(0)
        expect(await listItem(bob, 'erin').count()).toBe(0)
        expect(await bob.getByTestId('message').filter({ hasText: 'third try' }).count()).toBe(0)
      }, FLOW_TIMEOUT)

      it('operator console: a report appears live, verified; revoke, remove, close, suspend show in the chat; resolved and audited', async () => {
        const operator = await context!.newPage()
        operator.setDefaultTimeout(UI_TIMEOUT)
        pages.set('operator', operator)
        await operator.goto(`${server!.url}/operator`)
        await operator.getByTestId('operator-token').fill(server!.operatorToken)
        await operator.getByTestId('operator-login').click()
        await expect.poll(() => operator.getByTestId('console-live').getAttribute('data-live'), { timeout: UI_TIMEOUT }).toBe('true')
        // bob's report of erin's request (the test before) is queued like any other, verified.
        const before = operator.locator('[data-testid=report][data-status=open]')
        await expect.poll(() => before.count()).toBe(1)
        expect([await before.getAttribute('data-reporter'), await before.getAttribute('data-verified'), await before.getByTestId('report-reason').textContent()])
          .toEqual(['bob', 'true', 'Spam'])
        // Revoke the device erin sent it from: that browser says so and stops.
        await before.locator('[data-testid=revoke-device][data-user=erin]').click()
        await before.locator('[data-testid=device-revoked][data-user=erin]').waitFor()
        await (await as('erin')).locator('[data-testid=account-banner][data-code=device_revoked]').waitFor()

        const alice = await as('alice')
        const carol = await as('carol')
        await carol.getByTestId('suggest-alice').click()
        await send(carol, `you are awful (${policy})`)
        await send(carol, 'and I will keep going')
        await listItem(alice, 'carol').click()
        await seeMessage(alice, 'and I will keep going')

        // alice reports; the console, never reloaded, shows it from the server's push.
        await alice.getByTestId('report-button').click()
        await alice.getByTestId('report-preview-item').first().waitFor()
        await alice.getByTestId('report-reason').selectOption('Harassment')
        await alice.getByTestId('report-submit').click()
        const result = alice.getByTestId('report-result')
        await result.waitFor()
        const total = Number(await result.getAttribute('data-total'))
        await alice.getByTestId('report-close').click()

        const card = operator.locator('[data-testid=report][data-reporter=alice][data-status=open]')
        await card.waitFor()
        await shot(operator, `${policy}-3-console-report`)
        expect(await card.getAttribute('data-verified')).toBe('true')
        expect(await card.getByTestId('report-reason').textContent()).toBe('Harassment')
        expect(await card.getByTestId('report-status').textContent()).toContain('Transcript verified')
        expect(await card.getByTestId('report-complete').textContent()).toContain('Coverage')
        expect(await card.getByTestId('entry-badge').count()).toBe(total)
        expect(await card.locator('[data-testid=report-entry][data-verified=true]').count()).toBe(total)

        // Remove carol's first message: gone from both chats, a notice in its place.
        const awful = card.getByTestId('report-entry').filter({ hasText: 'you are awful' })
        await awful.getByTestId('remove-message').click()
        await awful.getByTestId('entry-removed').waitFor()
        for (const page of [alice, carol]) {
          await page.locator('[data-testid=notice][data-kind=message_removed]').waitFor()
          await expect.poll(() => page.getByTestId('message').filter({ hasText: 'you are awful' }).count()).toBe(0)
          await seeMessage(page, 'and I will keep going')
        }

        // Close the conversation: both sides say so and can no longer write.
        await card.getByTestId('close-conversation').click()
        for (const page of [alice, carol]) {
          await page.locator('[data-testid=conversation][data-closed=true]').waitFor()
          await page.getByTestId('closed-banner').waitFor()
          expect(await page.getByTestId('composer-input').count()).toBe(0)
        }

        // Suspend carol: her chat says why it stopped.
        await card.locator('[data-testid=suspend-user][data-user=carol]').click()
        await card.locator('[data-testid=unsuspend-user][data-user=carol]').waitFor()
        await carol.locator('[data-testid=account-banner][data-code=account_suspended]').waitFor()
        await shot(carol, `${policy}-4-suspended`)

        // Resolve with a resolution and a note; it leaves the open queue.
        await card.getByTestId('resolution').selectOption('action taken')
        await card.getByTestId('resolve-note').fill('removed the insult, closed, suspended')
        await card.getByTestId('resolve-report').click()
        await expect.poll(() => card.count()).toBe(0)
        expect(await operator.getByTestId('open-count').getAttribute('data-count')).toBe('1')
        await operator.getByTestId('show-all').click()
        const resolved = operator.locator('[data-testid=report][data-reporter=alice][data-status=resolved]')
        expect(await resolved.getByTestId('report-resolution').textContent()).toContain('action taken — removed the insult, closed, suspended')

        // The audit log, newest first, holds every action with its reason.
        await expect.poll(async () => operator.getByTestId('audit-entry').evaluateAll((els) => els.map((e) => e.getAttribute('data-action'))))
          .toEqual(['resolve_report', 'suspend_user', 'close_conversation', 'remove_message', 'revoke_device'])
        expect(await operator.locator('[data-testid=audit-entry][data-action=remove_message]').getByTestId('audit-reason').textContent()).toContain('Harassment')
        expect(await operator.locator('[data-testid=audit-entry][data-action=revoke_device]').getByTestId('audit-reason').textContent()).toContain('Spam')

        // The API behind the buttons: typed errors, and nothing without the operator session.
        // (Playwright's request API is not a page: it says where it comes from as the console's page would.)
        const origin = { origin: server!.url }
        const bad = await operator.request.post(`${server!.url}/operator/api/actions/close-conversation`, { headers: { ...origin, 'content-type': 'application/json' }, data: Buffer.from('{oops') })
        expect([bad.status(), (await bad.json()).error.code]).toEqual([400, 'invalid_json'])
        const twice = await operator.request.post(`${server!.url}/operator/api/actions/resolve-report`, {
          headers: origin, data: { reportId: (await resolved.getAttribute('data-report-id'))!, reporterUserId: 'alice', resolution: 'again' },
        })
        expect([twice.status(), (await twice.json()).error.code]).toEqual([409, 'report_resolved'])
        for (const path of ['/operator/api/state', '/operator/events', '/operator/api/actions/suspend-user']) {
          const anonymous = await fetch(`${server!.url}${path}`, path.includes('actions') ? { method: 'POST', headers: { ...origin, 'content-type': 'application/json' }, body: '{"userId":"alice","reason":"x"}' } : {})
          expect([anonymous.status, ((await anonymous.json()) as { error: { code: string } }).error.code], path).toEqual([401, 'operator_auth_required'])
        }
        expect((await fetch(`${server!.url}/operator/console.js`)).status).toBe(401)
      }, FLOW_TIMEOUT)
    })
  }
})
