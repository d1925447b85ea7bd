import { parleyVitestConfig } from '../../vitest.shared'

// expect.poll waits on UI state that a loaded 2-core machine can take seconds to reach (the
// operator console re-reads at most every 300 ms after a push): vitest's 1 s default made
// `safety.browser.test.ts` flaky; UI_TIMEOUT in test/browser-helpers.ts is the same 30 s.
export default parleyVitestConfig({ expect: { poll: { timeout: 30_000 } } })
