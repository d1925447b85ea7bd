/**
 * The failure-screenshot helper without a browser: where files go (the run's artifacts when
 * `PARLEY_TEST_ARTIFACTS` is set), how a test name becomes a file name, and that a page which
 * cannot be captured — or is closed — is skipped rather than hiding the test's own failure.
 * (That the hook fires on a real failing Chromium test was checked by hand; see the README.)
 */
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Page } from 'playwright-core'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { ARTIFACTS_ENV, MAX_SHOT_NAME, screenshotPages, screenshotsDir, shotName } from './failure-screenshots.js'
import { EXAMPLE_DIR } from './spawn-server.js'

function fakePage(opts: { closed?: boolean; fails?: boolean } = {}): Page & { calls: unknown[] } {
  const calls: unknown[] = []
  return {
    calls,
    isClosed: () => opts.closed ?? false,
    url: () => 'http://localhost/x',
    async screenshot(o: { path: string; fullPage: boolean }) {
      calls.push(o)
      if (opts.fails) throw new Error('target closed')
      await writeFile(o.path, 'png')
      return Buffer.from('png')
    },
  } as unknown as Page & { calls: unknown[] }
}

describe('failure screenshots', () => {
  let dir: string | undefined
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true })
  })

  it('go to the run\'s artifacts in CI, else to test-results/failures', () => {
    expect(screenshotsDir({ [ARTIFACTS_ENV]: '/ci/reports/1-node-20/artifacts' })).toBe('/ci/reports/1-node-20/artifacts/screenshots/web-chat')
    expect(screenshotsDir({})).toBe(join(EXAMPLE_DIR, 'test-results', 'failures'))
  })

  it('name files after the test', () => {
    expect(shotName('test/x.ts > safety > server-side > block: a/b')).toBe('test-x-ts-safety-server-side-block-a-b')
    expect(shotName('x'.repeat(500))).toHaveLength(MAX_SHOT_NAME)
    expect(shotName('>>>')).toBe('test')
  })

  it('capture every open page full-size, skip closed ones, and never throw', async () => {
    dir = await mkdtemp(join(tmpdir(), 'parley-shots-'))
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const ok = fakePage()
    const closed = fakePage({ closed: true })
    const broken = fakePage({ fails: true })
    const written = await screenshotPages([ok, closed, broken], 'a failing test', join(dir, 'nested'))
    warn.mockRestore()
    expect(written).toEqual([join(dir, 'nested', 'a-failing-test-page1.png')])
    expect(await readFile(written[0]!, 'utf8')).toBe('png')
    expect(ok.calls).toEqual([expect.objectContaining({ fullPage: true })])
    expect(closed.calls).toEqual([])
    expect(broken.calls).toHaveLength(1)
    expect(existsSync(join(dir, 'nested', 'a-failing-test-page2.png'))).toBe(false)
    expect(await screenshotPages([], 'nothing open', join(dir, 'none'))).toEqual([])
    expect(existsSync(join(dir, 'none'))).toBe(false)
  })
})
