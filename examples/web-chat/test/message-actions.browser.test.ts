/**
 * Edit, delete for everyone, a reaction and a reply in the web chat, in Chromium, under each
 * policy (docs/messages.md): bob reacts and replies to alice's message from its row, alice
 * edits and deletes it from hers, and each side's rows show the result.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromeAvailable, launchBrowser, seeMessage, send, signIn, UI_TIMEOUT, browserPolicies } from './browser-helpers.js'
import { screenshotOnFailure } from './failure-screenshots.js'
import { spawnServer, START_TIMEOUT_MS, type RunningServer } from './spawn-server.js'

const hasChrome = chromeAvailable('the web-chat message actions browser test')
const FLOW_TIMEOUT = 180_000

let context: BrowserContext | undefined
let profileDir: string | undefined

describe.skipIf(!hasChrome)('message actions in Chromium', () => {
  beforeAll(async () => {
    profileDir = await mkdtemp(join(tmpdir(), 'parley-web-chat-actions-'))
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
        await server?.stop()
      })

      it('react, reply, edit and delete from the message rows', async () => {
        const alice = await signIn(context!, server!.url, 'alice')
        const bob = await signIn(context!, server!.url, 'bob')
        pages.push(alice, bob)
        await alice.getByTestId('new-peer').fill('bob')
        await alice.getByTestId('new-submit').click()
        await send(alice, 'hello there')
        await bob.locator(`[data-testid=conversation-item][data-peer="alice"]`).click()
        await seeMessage(bob, 'hello there')
        await seeMessage(alice, 'hello there')
        // The first row with the text: a reply's row quotes it too.
        const onBob = bob.getByTestId('message').filter({ hasText: 'hello there' }).first()
        const onAlice = alice.getByTestId('message').filter({ hasText: 'hello there' }).first()
        await expect.poll(() => onAlice.getAttribute('data-delivery'), { timeout: UI_TIMEOUT }).not.toBe('pending')

        await onBob.getByTestId('react-button').click()
        await expect.poll(() => onAlice.locator('[data-testid=reactions] [data-emoji="👍"]').textContent(), { timeout: UI_TIMEOUT }).toBe('👍 1')

        await onBob.getByTestId('reply-button').click()
        await bob.getByTestId('replying-to').waitFor()
        await send(bob, 'a reply')
        const reply = await seeMessage(alice, 'a reply')
        await expect.poll(() => reply.getByTestId('reply-quote').textContent(), { timeout: UI_TIMEOUT }).toContain('hello there')

        alice.once('dialog', (d) => void d.accept('hello, edited'))
        await onAlice.getByTestId('edit-button').click()
        const edited = bob.getByTestId('message').filter({ hasText: 'hello, edited' }).first()
        await edited.getByTestId('message-edited').waitFor()

        alice.once('dialog', (d) => void d.accept())
        await alice.getByTestId('message').filter({ hasText: 'hello, edited' }).first().getByTestId('delete-button').click()
        await expect.poll(() => bob.getByTestId('message-deleted').first().textContent(), { timeout: UI_TIMEOUT }).toBe('Deleted by alice')
        expect(await bob.getByTestId('message-text').filter({ hasText: 'hello, edited' }).count()).toBe(0)
      }, FLOW_TIMEOUT)
    })
  }
})
