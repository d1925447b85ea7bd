// `npm test`: runs every workspace's tests through turbo (one package at a time: the machine has
// 2 cores and several suites time network round trips), moves each package's vitest JSON report
// into a per-run folder so a later run (another Node version) cannot overwrite it, and ends with
// one line: `N passed, N failed, N skipped`. Exits 1 on a failure or when no test ran.
//
// Environment:
//   PARLEY_TEST_REPORTS  folder for this run's reports (default .ci/reports/node-<version>)
//   PARLEY_TEST_ARTIFACTS is set for the tests to <that folder>/artifacts: files a failing test
//   leaves for people to look at (the browser tests' screenshots), listed at the end
//   extra arguments go to turbo, e.g. `npm test -- --filter=@parley/crypto`
import { spawn } from 'node:child_process'
import { createWriteStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { reportFileName, summarizeRun, TURBO_LOG, unhandledFileName } from './test-summary.mjs'
import { workspaces } from './workspaces.mjs'

/** Where vitest.shared.ts has every package write its JSON report. */
const PACKAGE_REPORT = '.vitest-report.json'
/** Where vitest.unhandled-reporter.ts writes a package's unhandled errors, when it has any. */
const PACKAGE_UNHANDLED = '.vitest-unhandled.json'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const label = `node-${process.versions.node}`
const runDir = resolve(root, process.env.PARLEY_TEST_REPORTS ?? join('.ci/reports', label))
const artifactsDir = join(runDir, 'artifacts')
const turboArgs = process.argv.slice(2)
const filtered = turboArgs.some((a) => a.startsWith('--filter') || a === '-F')

const withTests = workspaces(root).filter((w) => w.pkg.scripts?.test)
for (const w of withTests) {
  rmSync(join(w.dir, PACKAGE_REPORT), { force: true })
  rmSync(join(w.dir, PACKAGE_UNHANDLED), { force: true })
}
rmSync(runDir, { recursive: true, force: true })
mkdirSync(runDir, { recursive: true })

console.log(`== tests on node ${process.version} (${process.execPath}), reports in ${runDir}`)
const started = Date.now()
// --env-mode=loose: turbo's default strict mode hands tasks only the variables turbo.json names,
// so DATABASE_URL, REDIS_URL, CHROME_PATH and the TLS settings npm needs (NODE_EXTRA_CA_CERTS)
// never reached the tests. Tests are not cached, so the environment is not part of any hash.
// turbo's output goes to the terminal and to <run>/turbo.log: when turbo fails with no failing
// test in any report (vitest failing a run for an error outside any test, say), the summary
// prints what the failed package itself printed.
const turboLog = createWriteStream(join(runDir, TURBO_LOG))
const turbo = await new Promise((resolvePromise) => {
  const child = spawn(join(root, 'node_modules/.bin/turbo'), ['run', 'test', '--concurrency=1', '--continue', '--env-mode=loose', ...turboArgs], {
    cwd: root,
    stdio: ['inherit', 'pipe', 'pipe'],
    env: { TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1', ...process.env, PARLEY_TEST_ARTIFACTS: artifactsDir },
  })
  child.stdout.on('data', (chunk) => { process.stdout.write(chunk); turboLog.write(chunk) })
  child.stderr.on('data', (chunk) => { process.stderr.write(chunk); turboLog.write(chunk) })
  child.on('error', (error) => resolvePromise({ status: null, signal: null, error }))
  child.on('close', (status, signal) => resolvePromise({ status, signal }))
})
await new Promise((r) => turboLog.end(r))
const seconds = Math.round((Date.now() - started) / 1000)
const turboExitCode = turbo.status ?? 1
const turboSignal = turbo.signal ?? undefined
if (turbo.error) console.log(`turbo did not start: ${turbo.error.message}`)
if (turboSignal) console.log(`turbo was killed by ${turboSignal}: the packages it had not finished have no report`)

const ran = []
for (const w of withTests) {
  // Kept even without a report: a package that crashed may still have named its errors.
  const unhandled = join(w.dir, PACKAGE_UNHANDLED)
  if (existsSync(unhandled)) renameSync(unhandled, join(runDir, unhandledFileName(w.pkg.name)))
  const report = join(w.dir, PACKAGE_REPORT)
  if (!existsSync(report)) continue
  renameSync(report, join(runDir, reportFileName(w.pkg.name)))
  ran.push(w.pkg.name)
}
// Without a filter every package with a test script must leave a report.
const expected = filtered ? ran : withTests.map((w) => w.pkg.name)
writeFileSync(join(runDir, 'run.json'), JSON.stringify({ label, node: process.version, seconds, turboExitCode, turboSignal, expected }, null, 2) + '\n')

const artifacts = existsSync(artifactsDir) ? readdirSync(artifactsDir, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()) : []
if (artifacts.length) {
  console.log(`== ${artifacts.length} artifact(s) of failing tests (screenshots) in ${artifactsDir}:`)
  for (const f of artifacts) console.log(`  ${join(f.parentPath, f.name)}`)
}
console.log(`== test summary (node ${process.version}, ${seconds} s)`)
const total = summarizeRun(runDir)
if (total.passed + total.failed === 0) {
  console.log('no test ran — counted as 1 failed')
  total.failed++
}
console.log(`${total.passed} passed, ${total.failed} failed, ${total.skipped} skipped`)
process.exit(total.failed > 0 ? 1 : 0)

