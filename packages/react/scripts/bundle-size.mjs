// Prints the size of @parley/react as an app ships it: dist/index.js bundled with esbuild,
// minified, gzipped — react, react-dom and the @parley/* packages left out (the app loads
// them anyway; @parley/client's own size is in docs/client.md). Run after `tsup`.
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const result = await build({
  entryPoints: ['dist/index.js'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  minify: true,
  write: false,
  external: ['react', 'react-dom', '@parley/client', '@parley/protocol'],
  logLevel: 'silent',
})
const code = result.outputFiles[0].contents
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
console.log(`@parley/react: ${kb(code.length)} minified, ${kb(gzipSync(code, { level: 9 }).length)} minified + gzip (ESM; react and @parley/* external)`)
