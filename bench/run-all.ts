/**
 * `npm run bench`: every suite `bench/<name>/index.ts`, each in its own process, first on the
 * Node running this script, then again on the pinned Node 24 (see node-binary.ts). A suite
 * that fails or crashes is reported as a failed section and the others still run; the exit
 * code says whether any failed. The second pass's results go beside the first's as
 * `results/<name>.node-v<version>.txt`.
 *
 * Arguments: suite names (run only those); `--this-node` skips the second Node. At the end it
 * writes the combined report (report/write.ts): results/latest.json, latest.md and plots/.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { nodeBinary, pinnedNode24 } from './node-binary.js'
import { writeReport } from './report/write.js'

const root = new URL('./', import.meta.url)
const args = process.argv.slice(2)
const thisNodeOnly = args.includes('--this-node')
const only = args.filter((a) => !a.startsWith('--'))
const suites = readdirSync(root, { withFileTypes: true })
  .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !['node_modules', 'results'].includes(d.name) && existsSync(new URL(`${d.name}/index.ts`, root)))
  .map((d) => d.name)
  .filter((name) => only.length === 0 || only.includes(name))
  .sort()

interface Outcome { pass: string; suite: string; ok: boolean; seconds: number; why?: string }
const outcomes: Outcome[] = []

/** Runs one suite file in a child process on `node`; resolves with its exit code (or signal). */
function runSuite(node: string, name: string): Promise<string | null> {
  const file = fileURLToPath(new URL(`${name}/index.ts`, root))
  const child = spawn(node, ['--conditions=@parley/source', '--import', 'tsx', file], { cwd: fileURLToPath(root), stdio: 'inherit', env: process.env })
  return new Promise((resolve) => {
    child.once('error', (e) => resolve(`could not start: ${e.message}`))
    child.once('exit', (code, signal) => resolve(code === 0 ? null : signal ? `killed by ${signal}` : `exit code ${code}`))
  })
}

/** Runs every suite on `node`. `tag` set: each result file it writes is moved to `<name>.<tag>.txt`. */
async function pass(label: string, node: string, tag?: string): Promise<void> {
  for (const [i, name] of suites.entries()) {
    // A suite writes results/<name>.txt and may write parts beside it (client: client-group.txt).
    const parts = [name, ...(name === 'client' ? ['client-group'] : [])]
    const files = parts.map((part) => ({ part, file: fileURLToPath(new URL(`results/${part}.txt`, root)) }))
    const before = files.map(({ file }) => (existsSync(file) ? readFileSync(file) : undefined))
    console.log(`\n[${label} ${i + 1}/${suites.length}] bench/${name}`)
    const started = performance.now()
    const why = await runSuite(node, name)
    const seconds = (performance.now() - started) / 1000
    for (const [k, { part, file }] of files.entries()) {
      if (!tag || !existsSync(file)) continue
      const after = readFileSync(file)
      const prior = before[k]
      if (!prior || !after.equals(prior)) writeFileSync(fileURLToPath(new URL(`results/${part}.${tag}.txt`, root)), after)
      if (prior) writeFileSync(file, prior)
      else rmSync(file)
    }
    outcomes.push({ pass: label, suite: name, ok: why === null, seconds, ...(why ? { why } : {}) })
    console.log(`[${label} ${i + 1}/${suites.length}] bench/${name} ${why ? `FAILED (${why})` : 'done'} in ${seconds.toFixed(1)} s`)
  }
}

if (suites.length === 0) console.log('no benchmark suites found')
await pass(`node ${process.version}`, process.execPath)
if (!thisNodeOnly && suites.length) {
  const version = pinnedNode24()
  let node: string | undefined
  try {
    node = nodeBinary(version)
  } catch (e) {
    outcomes.push({ pass: `node v${version}`, suite: '(all)', ok: false, seconds: 0, why: `no Node ${version} binary: ${(e as Error).message}` })
  }
  if (node) await pass(`node v${version}`, node, `node-v${version}`)
}
console.log('\nbench summary')
for (const o of outcomes) console.log(`  ${o.pass.padEnd(16)} ${o.suite.padEnd(8)} ${o.ok ? 'ok    ' : 'FAILED'} ${o.seconds.toFixed(1).padStart(7)} s${o.why ? `  ${o.why}` : ''}`)
// One report over every suite's JSON results, both Node versions (results/latest.*, plots).
await writeReport()
process.exitCode = outcomes.some((o) => !o.ok) ? 1 : 0
