import { parleyVitestConfig } from '../../vitest.shared'

export default parleyVitestConfig({ testTimeout: 120_000 })
