import { parleyTsupConfig } from '../../tsup.shared'

// react (a peer) and the @parley/* dependencies stay external.
export default parleyTsupConfig()
