/**
 * Runs every benchmark suite `bench/<name>/index.ts` that exists, in turn, printing progress.
 * A suite either exports a `run*` function or does its work on import.
 */
import { existsSync, readdirSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

const root = new URL('./', import.meta.url)
const only = process.argv.slice(2)
const suites = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !['node_modules', 'results'].includes(d.name) && existsSync(new URL(`${d.name}/index.ts`, root)))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort()

if (suites.length === 0) console.log('no benchmark suites found')
let failed = 0
for (const [i, name] of suites.entries()) {
  console.log(`\n[${i + 1}/${suites.length}] bench/${name}`)
  const started = performance.now()
  try {
    const mod = (await import(pathToFileURL(new URL(`${name}/index.ts`, root).pathname).href)) as Record<string, unknown>
    const run = Object.entries(mod).find(([k, v]) => k.startsWith('run') && typeof v === 'function')?.[1] as (() => Promise<void>) | undefined
    if (run) await run()
    console.log(`[${i + 1}/${suites.length}] bench/${name} done in ${((performance.now() - started) / 1000).toFixed(1)} s`)
  } catch (e) {
    failed++
    console.error(`[${i + 1}/${suites.length}] bench/${name} failed:`, e)
  }
}
process.exitCode = failed ? 1 : 0
