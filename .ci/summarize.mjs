// Adds up every vitest JSON report (`.vitest-report.json` in each workspace) and prints the
// closing line CI reads: `N passed, N failed[, N skipped]`. Exits 1 on any failure, on a
// report that is missing for a package with tests, or when no test ran at all.
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'

const roots = ['packages', 'examples', 'bench']
let passed = 0, failed = 0, skipped = 0, problems = 0
for (const root of roots) {
  if (!existsSync(root)) continue
  const dirs = root === 'bench' ? ['.'] : readdirSync(root)
  for (const d of dirs) {
    const dir = root === 'bench' ? root : join(root, d)
    if (!statSync(dir).isDirectory()) continue
    const report = join(dir, '.vitest-report.json')
    if (!existsSync(report)) continue
    let json
    try { json = JSON.parse(readFileSync(report, 'utf8')) } catch { console.log(`unreadable report ${report}`); problems++; continue }
    const p = json.numPassedTests ?? 0, f = json.numFailedTests ?? 0
    const s = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0)
    // A suite that failed to load counts as a failure even when no test inside it ran.
    const badSuites = (json.testResults ?? []).filter((r) => r.status === 'failed' && (r.assertionResults ?? []).every((a) => a.status !== 'failed')).length
    console.log(`${dir}: ${p} passed, ${f} failed, ${s} skipped${badSuites ? `, ${badSuites} suites failed to run` : ''}`)
    passed += p; failed += f + badSuites; skipped += s
  }
}
if (passed + failed === 0) { console.log('no test ran'); failed += problems || 1 }
failed += problems
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 ? 1 : 0)
