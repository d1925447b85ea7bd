/**
 * Screenshots of every open page when a browser test fails, so a failure in CI can be seen,
 * not only read. `npm test` (scripts/run-tests.mjs) sets `PARLEY_TEST_ARTIFACTS` to the run's
 * artifact folder (`.ci/reports/<run>/artifacts/`, which `.ci/run` keeps and prints); without
 * it (a local `npx vitest run`) they go to `test-results/failures/` here. Both are gitignored.
 */
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { beforeEach } from 'vitest'
import { EXAMPLE_DIR } from './spawn-server.js'

/** The variable naming the run's artifact folder. */
export const ARTIFACTS_ENV = 'PARLEY_TEST_ARTIFACTS'
/** Longest file-name stem taken from a test's name, characters. */
export const MAX_SHOT_NAME = 120

/** Where failure screenshots go. */
export function screenshotsDir(env: NodeJS.ProcessEnv = process.env): string {
  const artifacts = env[ARTIFACTS_ENV]
  return artifacts ? join(artifacts, 'screenshots', 'web-chat') : join(EXAMPLE_DIR, 'test-results', 'failures')
}

/** A test name as a file name: letters, digits, `-` and `_`. */
export function shotName(testName: string): string {
  return testName.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, MAX_SHOT_NAME) || 'test'
}

/**
 * Saves a full-page screenshot of each page still open into `dir`, named after the test and
 * the page. Never throws (a page that cannot be captured is skipped with a warning): the test's
 * own failure is what must be reported. Returns the files written.
 */
export async function screenshotPages(pages: readonly Page[], testName: string, dir: string = screenshotsDir()): Promise<string[]> {
  const written: string[] = []
  const open = pages.filter((p) => !p.isClosed())
  if (open.length === 0) return written
  mkdirSync(dir, { recursive: true })
  for (const [i, page] of open.entries()) {
    const file = join(dir, `${shotName(testName)}-page${i + 1}.png`)
    try {
      await page.screenshot({ path: file, fullPage: true, timeout: 10_000 })
      written.push(file)
    } catch (e) {
      console.warn(`could not screenshot page ${i + 1} (${page.url()}) of failing test "${testName}": ${String(e)}`)
    }
  }
  if (written.length) console.warn(`screenshots of failing test "${testName}":\n${written.map((f) => `  ${f}`).join('\n')}`)
  return written
}

/**
 * In the calling `describe`: when a test fails, screenshot every page open in `contexts()`
 * (after the test and its `afterEach` hooks, so keep pages open until `afterAll`).
 */
export function screenshotOnFailure(contexts: () => readonly (BrowserContext | undefined)[]): void {
  beforeEach((ctx) => {
    ctx.onTestFailed(async () => {
      // The blank page a persistent context opens with shows nothing.
      const pages = contexts().flatMap((c) => c?.pages() ?? []).filter((p) => p.url() !== 'about:blank')
      await screenshotPages(pages, ctx.task.fullName ?? ctx.task.name)
    })
  })
}
