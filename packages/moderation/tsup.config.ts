import { parleyTsupConfig } from '../../tsup.shared'

export default parleyTsupConfig()
