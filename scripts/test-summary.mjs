// Adds up vitest JSON reports and CI checks into the one closing line CI reads:
// `N passed, N failed, N skipped`. Used by `npm test` (one run) and by `.ci/run` (every run).
//
// Layout it reads (written by scripts/run-tests.mjs and .ci/run):
//   <reports>/<run>/run.json            { label, node, seconds, turboExitCode, turboSignal?, expected: [package name…] }
//   <reports>/<run>/<pkg>.vitest.json    one vitest JSON report per workspace package
//   <reports>/<run>/turbo.log            everything turbo printed (each line prefixed `<pkg>:test: `)
//   <reports>/<run>/<pkg>.unhandled.json [{ type, name, message, testFile?, test?, stack }…], only
//                                        when vitest saw errors outside any test (each a failure)
//   <reports>/checks.jsonl               one {"name","ok","message"} line per CI check
//
// CLI: node scripts/test-summary.mjs <reports dir>   (exit 1 on any failure or when no test ran)
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

export const REPORT_SUFFIX = '.vitest.json'
export const UNHANDLED_SUFFIX = '.unhandled.json'
export const TURBO_LOG = 'turbo.log'
/** Lines of a failed package's own output the summary prints when no report says why it failed. */
const EXPLAIN_LINES = 12

/** A workspace name as a file name: `@parley/crypto` → `parley__crypto`. */
export function reportFileName(pkgName) {
  return pkgName.replace(/^@/, '').replace(/\//g, '__') + REPORT_SUFFIX
}

/** Where a package's unhandled errors are kept: `@parley/server` → `parley__server.unhandled.json`. */
export function unhandledFileName(pkgName) {
  return reportFileName(pkgName).slice(0, -REPORT_SUFFIX.length) + UNHANDLED_SUFFIX
}

/** `type: Name: message (in file › test)` for each unhandled error vitest recorded. */
export function unhandledNames(list) {
  return (Array.isArray(list) ? list : []).map((e) => {
    const where = e.testFile ? ` (in ${String(e.testFile).replace(/^.*?\/(packages|examples|bench)\//, '$1/')}${e.test ? ` › ${e.test}` : ''})` : ''
    return `${e.type ?? 'Unhandled error'}: ${e.name ?? 'Error'}: ${firstLine(e.message, 300)}${where}`
  })
}

const line = (t) => `${t.passed} passed, ${t.failed} failed, ${t.skipped} skipped`

/** Counts of one vitest JSON report; a test file that failed to load counts as one failure. */
export function countReport(json) {
  const passed = json.numPassedTests ?? 0
  const failedTests = json.numFailedTests ?? 0
  const skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
  const brokenFiles = (json.testResults ?? []).filter(
    (r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed'),
  ).length
  return { passed, failed: failedTests + brokenFiles, skipped, brokenFiles }
}

/** The first non-blank line of a message, without colour codes, trimmed to at most `max` characters. */
function firstLine(text, max) {
  // eslint-disable-next-line no-control-regex
  const line = String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?? ''
  return line.trim().slice(0, max)
}

/**
 * `file › test — why` for each failed test (the first line of its first failure message), and
 * `file (failed to load: …)` for a file that never ran.
 */
export function failedNames(json) {
  const names = []
  for (const file of json.testResults ?? []) {
    const where = String(file.name ?? '?').replace(/^.*?\/(packages|examples|bench)\//, '$1/')
    const failed = (file.assertionResults ?? []).filter((a) => a.status === 'failed')
    for (const a of failed) {
      const why = firstLine((a.failureMessages ?? [])[0], 300)
      names.push(`${where} › ${a.fullName ?? a.title}${why ? ` — ${why}` : ''}`)
    }
    if (file.status === 'failed' && failed.length === 0) {
      names.push(`${where} (failed to load: ${firstLine(file.message, 200)})`)
    }
  }
  return names
}

/**
 * For a turbo run that failed with no failing test in any report: each package turbo names as
 * failed (`ERROR command (…) exited`), with the lines of its own output that say why — error
 * lines first, else its last lines — so a red run is never left unexplained.
 */
export function explainTurboFailure(logText) {
  // eslint-disable-next-line no-control-regex
  const lines = String(logText).replace(/\u001b\[[0-9;]*m/g, '').split('\n')
  const failed = new Set()
  for (const l of lines) {
    const m = /^(\S+?)#test:\s+ERROR\b/.exec(l.trim())
    if (m) failed.add(m[1])
  }
  const out = []
  for (const pkg of failed) {
    const prefix = `${pkg}:test: `
    const own = lines.filter((l) => l.startsWith(prefix)).map((l) => l.slice(prefix.length).trimEnd()).filter((l) => l.trim())
    // Vite's notes about its config loader name files, not failures.
    const noise = (l) => /^\s*[✓√]|^\s*- import "|configLoader|VITE_CONFIG_NATIVE/.test(l)
    const errors = own.filter((l) => /error|unhandled|timed? ?out|exited|killed|fatal|panic|abort|⎯⎯/i.test(l) && !noise(l))
    const shown = (errors.length ? errors.slice(0, EXPLAIN_LINES) : own.slice(-EXPLAIN_LINES)).map((l) => l.trim().slice(0, 300))
    out.push({ pkg, lines: shown })
  }
  return out
}

/** Sums one run directory; prints a line per package (when `log`) and returns the totals. */
export function summarizeRun(dir, log = console.log) {
  const total = { passed: 0, failed: 0, skipped: 0, failedNames: [] }
  const meta = existsSync(join(dir, 'run.json')) ? JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')) : null
  // Package names by report file, so lines read `@parley/crypto`, not the file name.
  const expected = new Map((meta?.expected ?? []).map((name) => [reportFileName(name), name]))
  for (const file of readdirSync(dir).filter((f) => f.endsWith(REPORT_SUFFIX)).sort()) {
    const pkg = expected.get(file) ?? file.slice(0, -REPORT_SUFFIX.length)
    expected.delete(file)
    let counts
    let json
    try {
      json = JSON.parse(readFileSync(join(dir, file), 'utf8'))
      counts = countReport(json)
    } catch {
      log(`  ${pkg}: unreadable report ${file}`)
      total.failed++
      continue
    }
    const broken = counts.brokenFiles ? ` (${counts.brokenFiles} test files failed to load)` : ''
    log(`  ${pkg}: ${line(counts)}${broken}`)
    for (const name of failedNames(json)) { log(`    ✗ ${name}`); total.failedNames.push(name) }
    total.passed += counts.passed; total.failed += counts.failed; total.skipped += counts.skipped
    // Errors outside any test fail vitest's run with every test passed: each counts as a failure.
    const unhandledFile = join(dir, file.slice(0, -REPORT_SUFFIX.length) + UNHANDLED_SUFFIX)
    if (existsSync(unhandledFile)) {
      let names
      try { names = unhandledNames(JSON.parse(readFileSync(unhandledFile, 'utf8'))) } catch { names = [`unreadable ${unhandledFile}`] }
      for (const name of names) { log(`    ✗ ${pkg}: ${name}`); total.failedNames.push(`${pkg}: ${name}`) }
      total.failed += Math.max(1, names.length)
    }
  }
  // A package with a test script that left no report crashed, or never ran because turbo died.
  const why = meta?.turboSignal ? `turbo was killed by ${meta.turboSignal}` : 'vitest did not finish'
  for (const [file, pkg] of expected) {
    log(`  ${pkg}: no vitest report (${why}) — counted as 1 failed`)
    total.failed++
    const unhandledFile = join(dir, file.slice(0, -REPORT_SUFFIX.length) + UNHANDLED_SUFFIX)
    if (!existsSync(unhandledFile)) continue
    try {
      for (const name of unhandledNames(JSON.parse(readFileSync(unhandledFile, 'utf8')))) { log(`    ✗ ${pkg}: ${name}`); total.failedNames.push(`${pkg}: ${name}`) }
    } catch { log(`    unreadable ${unhandledFile}`) }
  }
  if (meta && meta.turboExitCode !== 0 && total.failed === 0) {
    log(`  turbo exited ${meta.turboExitCode} with no failing test in the reports — counted as 1 failed`)
    const logFile = join(dir, TURBO_LOG)
    const explained = existsSync(logFile) ? explainTurboFailure(readFileSync(logFile, 'utf8')) : []
    for (const { pkg, lines } of explained) {
      log(`    ${pkg} failed; what it printed:`)
      for (const l of lines) log(`      ${l}`)
      const why = lines.find((l) => /\b[A-Z]\w*Error\b|\bError:|timed out/.test(l)) ?? lines[0] ?? 'no output'
      total.failedNames.push(`${pkg}: exited non-zero with every test passed — ${why}`)
    }
    if (explained.length === 0) total.failedNames.push(`turbo exited ${meta.turboExitCode} with no failing test (see ${logFile})`)
    total.failed++
  }
  return { ...total, meta }
}

/** Reads `checks.jsonl`: each check is one passed or one failed. */
export function summarizeChecks(file, log = console.log) {
  const total = { passed: 0, failed: 0, skipped: 0 }
  if (!existsSync(file)) return total
  for (const text of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const check = JSON.parse(text)
    if (check.ok) total.passed++
    else { total.failed++; log(`  FAILED check: ${check.name}${check.message ? ` — ${check.message}` : ''}`) }
  }
  return total
}

/** The closing line over every run under `reportsDir`, one line per run above it. */
export function summarizeAll(reportsDir, log = console.log) {
  const total = { passed: 0, failed: 0, skipped: 0 }
  const runs = existsSync(reportsDir)
    ? readdirSync(reportsDir).filter((d) => statSync(join(reportsDir, d)).isDirectory()).sort()
    : []
  const runLines = []
  for (const run of runs) {
    log(`${run}:`)
    const t = summarizeRun(join(reportsDir, run), log)
    const where = t.meta ? `node ${t.meta.node}, ${t.meta.seconds} s` : 'no run.json'
    runLines.push(`${run} (${where}): ${line(t)}`)
    // Repeated beside the closing line: a long log is often read from its tail only.
    for (const name of t.failedNames) runLines.push(`  ✗ ${name}`)
    total.passed += t.passed; total.failed += t.failed; total.skipped += t.skipped
  }
  const checks = summarizeChecks(join(reportsDir, 'checks.jsonl'), log)
  if (checks.passed + checks.failed > 0) runLines.push(`CI checks: ${checks.passed} passed, ${checks.failed} failed`)
  total.passed += checks.passed; total.failed += checks.failed
  for (const l of runLines) log(l)
  if (runs.length === 0 || total.passed + total.failed - checks.passed - checks.failed === 0) {
    log('no test ran — counted as 1 failed')
    total.failed++
  }
  log(line(total))
  return total
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const dir = process.argv[2]
  if (!dir) {
    console.error('usage: node scripts/test-summary.mjs <reports dir>')
    process.exit(2)
  }
  process.exit(summarizeAll(dir).failed > 0 ? 1 : 0)
}
