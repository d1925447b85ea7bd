import { parleyVitestConfig } from '../../vitest.shared'

export default parleyVitestConfig()
