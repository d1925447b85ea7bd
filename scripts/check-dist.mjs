// Loads a package's built output both ways — `import` (ESM) and `require` (CJS) — from a
// plain Node process, as a consumer would. Run from the package directory after `tsup`.
import { createRequire } from 'node:module'
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import { join } from 'node:path'

const dir = process.cwd()
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
const esm = await import(pathToFileURL(join(dir, pkg.exports['.'].import.default)).href)
const require = createRequire(join(dir, 'package.json'))
const cjs = require(join(dir, pkg.exports['.'].require.default))
const esmKeys = Object.keys(esm).filter((k) => k !== 'default').sort()
const cjsKeys = Object.keys(cjs).filter((k) => k !== 'default' && k !== '__esModule').sort()
if (esmKeys.length === 0) throw new Error(`${pkg.name}: ESM build exports nothing`)
if (JSON.stringify(esmKeys) !== JSON.stringify(cjsKeys)) {
  throw new Error(`${pkg.name}: ESM and CJS builds export different names`)
}
console.log(`${pkg.name}: ESM import and CJS require both load ${esmKeys.length} exports`)
