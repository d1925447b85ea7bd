import { parleyTsupConfig } from '../../tsup.shared'

// `node` is a separate entry so the main entry (and the browser bundle) never imports node:fs.
export default parleyTsupConfig({ entry: ['src/index.ts', 'src/node.ts'] })
