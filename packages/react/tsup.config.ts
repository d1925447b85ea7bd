import { parleyTsupConfig } from '../../tsup.shared'

// react and @parley/client are peer dependencies: tsup leaves them (and @parley/protocol) external.
export default parleyTsupConfig()
