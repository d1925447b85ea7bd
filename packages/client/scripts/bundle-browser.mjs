// Browser bundle of @parley/client with every dependency (ESM, minified), written to
// dist/browser/; prints its minified and gzip sizes. Fails on any Node built-in import.
import { mkdirSync, writeFileSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

/** Target from the client issue: minified + gzip, all dependencies. */
const TARGET_GZIP_BYTES = 100 * 1024
const root = fileURLToPath(new URL('..', import.meta.url))

const result = await build({
  entryPoints: [`${root}src/index.ts`],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  write: false,
  metafile: true,
  conditions: ['@parley/source', 'browser', 'module', 'import'],
  logLevel: 'error',
})
const code = result.outputFiles[0].contents
const nodeInputs = Object.keys(result.metafile.inputs).filter((p) => p.startsWith('node:'))
if (nodeInputs.length > 0) {
  console.error(`browser bundle imports Node built-ins: ${nodeInputs.join(', ')}`)
  process.exit(1)
}
mkdirSync(`${root}dist/browser`, { recursive: true })
writeFileSync(`${root}dist/browser/parley-client.min.js`, code)
const gz = gzipSync(code, { level: 9 }).length
const kb = (n) => `${(n / 1024).toFixed(1)} KB`
console.log(`@parley/client browser bundle: ${kb(code.length)} minified, ${kb(gz)} minified+gzip (target ≤ ${kb(TARGET_GZIP_BYTES)})${gz > TARGET_GZIP_BYTES ? '  OVER TARGET' : ''}`)
