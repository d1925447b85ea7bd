/**
 * The operator's view of verified reports: every `VerifiedReport` the server hands to
 * `onReport`, kept in memory for `/operator` and appended to `reports.jsonl` in the data
 * directory so the page survives a restart. (The Parley store persists reports too; this file
 * is only the demo's operator inbox.)
 */
import { appendFile, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { VerifiedReport } from '@parley/protocol'

/** File name of the operator inbox inside the data directory. */
export const REPORT_LOG_FILE = 'reports.jsonl'
/** Most reports the operator page keeps in memory (oldest dropped first). */
export const MAX_OPERATOR_REPORTS = 500

/** The operator inbox. */
export interface ReportLog {
  /** Newest first. */
  list(): readonly VerifiedReport[]
  add(report: VerifiedReport): Promise<void>
}

/** Opens the inbox in `dataDir`, loading earlier reports (malformed lines are skipped). */
export async function openReportLog(dataDir: string): Promise<ReportLog> {
  const file = join(dataDir, REPORT_LOG_FILE)
  const reports: VerifiedReport[] = []
  const text = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    if (e.code === 'ENOENT') return ''
    throw e
  })
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue
    try {
      reports.unshift(JSON.parse(line) as VerifiedReport)
    } catch {
      // A torn last line after a crash: skip it.
    }
  }
  reports.splice(MAX_OPERATOR_REPORTS)
  return {
    list: () => reports,
    async add(report) {
      // The same report id twice (a client retry) is one report.
      if (reports.some((r) => r.reportId === report.reportId && r.reporter.userId === report.reporter.userId)) return
      reports.unshift(report)
      reports.splice(MAX_OPERATOR_REPORTS)
      await appendFile(file, `${JSON.stringify(report)}\n`, { mode: 0o600 })
    },
  }
}
