/**
 * Edit, delete for everyone, a reaction and a reply in the web chat, in Chromium, under each
 * policy (docs/messages.md): bob reacts and replies to alice's message from its row, alice
 * edits and deletes it from hers, and each side's rows show the result. Then alice sends a file
 * and an image from the composer (sealed and uploaded out of band, with a progress bar;
 * docs/attachments.md): bob downloads the file and gets alice's bytes, and sees the image inline.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { chromeAvailable, launchBrowser, seeMessage, send, signIn, UI_TIMEOUT, browserPolicies } from './browser-helpers.js'
import { screenshotOnFailure } from './failure-screenshots.js'
import { spawnServer, START_TIMEOUT_MS, type RunningServer } from './spawn-server.js'

const hasChrome = chromeAvailable('the web-chat message actions browser test')
const FLOW_TIMEOUT = 180_000
/** A 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64')

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

      it('react, reply, edit and delete from the message rows; a file and an image from the composer', async () => {
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

        // Files: chosen in alice's composer, sealed and uploaded (a progress bar while it runs).
        const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7 + 3) & 0xff))
        await alice.evaluate(() => {
          const w = window as unknown as { sawProgress: boolean }
          w.sawProgress = false
          new MutationObserver(() => { w.sawProgress ||= document.querySelector('[data-testid=upload-progress]') !== null }).observe(document.body, { childList: true, subtree: true })
        })
        await alice.getByTestId('attach-input').setInputFiles([
          { name: 'notes.bin', mimeType: 'application/octet-stream', buffer: bytes },
          { name: 'dot.png', mimeType: 'image/png', buffer: PNG },
        ])
        await expect.poll(() => alice.getByTestId('chosen-file').count(), { timeout: UI_TIMEOUT }).toBe(2)
        await send(alice, 'two files')
        const row = await seeMessage(bob, 'two files')
        // bob downloads the file: fetched sealed, opened and checked on his side, saved with alice's bytes.
        const [download] = await Promise.all([bob.waitForEvent('download'), row.locator('[data-testid=attachment][data-name="notes.bin"]').getByTestId('attachment-download').click()])
        expect(download.suggestedFilename()).toBe('notes.bin')
        expect(Buffer.compare(await readFile((await download.path())!), bytes)).toBe(0)
        // The image is shown inline, decoded from the bytes bob's client opened.
        await expect.poll(() => row.getByTestId('attachment-image').evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), { timeout: UI_TIMEOUT }).toBe(1)
        expect(await alice.evaluate(() => (window as unknown as { sawProgress: boolean }).sawProgress)).toBe(true)
        await expect.poll(() => alice.getByTestId('upload-progress').count(), { timeout: UI_TIMEOUT }).toBe(0)
      }, FLOW_TIMEOUT)
    })
  }
})
