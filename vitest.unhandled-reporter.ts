/**
 * Writes the run's unhandled errors (an error thrown or a promise rejected outside any test, or
 * in teardown) to `.vitest-unhandled.json`. Vitest fails such a run with every test passed and
 * its JSON report says nothing of why; `scripts/run-tests.mjs` keeps this file beside the report
 * and `scripts/test-summary.mjs` prints each error's first line, so a red CI names its cause.
 */
import { rmSync, writeFileSync } from 'node:fs'
import type { Reporter, TestModule } from 'vitest/node'

export const UNHANDLED_FILE = '.vitest-unhandled.json'

interface UnhandledError {
  name?: unknown
  message?: unknown
  stack?: unknown
  type?: unknown
  VITEST_TEST_PATH?: unknown
  VITEST_TEST_NAME?: unknown
}

export class UnhandledErrorsReporter implements Reporter {
  onTestRunEnd(_modules: ReadonlyArray<TestModule>, errors: ReadonlyArray<UnhandledError>): void {
    rmSync(UNHANDLED_FILE, { force: true })
    if (errors.length === 0) return
    const list = errors.map((e) => ({
      type: typeof e.type === 'string' ? e.type : 'Unhandled error',
      name: String(e.name ?? 'Error'),
      message: String(e.message ?? ''),
      testFile: typeof e.VITEST_TEST_PATH === 'string' ? e.VITEST_TEST_PATH : undefined,
      test: typeof e.VITEST_TEST_NAME === 'string' ? e.VITEST_TEST_NAME : undefined,
      stack: String(e.stack ?? '').split('\n').slice(0, 12).join('\n'),
    }))
    writeFileSync(UNHANDLED_FILE, JSON.stringify(list, null, 2) + '\n')
  }
}
