import { parleyVitestConfig } from '../../vitest.shared'

// Builds, packs and installs real packages, then runs a server: minutes, not seconds.
export default parleyVitestConfig({ testTimeout: 300_000, hookTimeout: 120_000 })
