/**
 * Reports at rest: a `VerifiedReport` holds the reported plaintext (in every mode), so the
 * server seals the whole report with its data key before the store sees it — as it seals
 * server-side message bodies. The AAD binds the row identity (reporter and report id), so a
 * sealed report cannot be moved to another row. Keys rotate by id like bodies.
 */
import { fromBase64, StoreError, toBase64, type VerifiedReport } from '@parley/protocol'
import { openAtRest, sealAtRest, type DataKeyring } from '@parley/crypto'
import type { SealedBody, SealedReport } from './store/store.js'

const reportAad = (reporterUserId: string, reportId: string) => new TextEncoder().encode(`parley/report/v1\n${reporterUserId}\n${reportId}`)

/** Seals a report's content with the current data key. */
export function sealReportBody(keys: DataKeyring, report: VerifiedReport): SealedBody {
  const kid = keys.currentKid
  const plain = new TextEncoder().encode(JSON.stringify(report))
  return { kid, data: toBase64(sealAtRest(keys.keys[kid]!, kid, plain, reportAad(report.reporter.userId, report.reportId))) }
}

/** The stored form of a report: sealed content, clear lookup keys. */
export function sealReport(keys: DataKeyring, report: VerifiedReport): SealedReport {
  return {
    reporterUserId: report.reporter.userId, reportId: report.reportId, conversationId: report.conversationId, receivedAt: report.receivedAt,
    sealed: sealReportBody(keys, report),
  }
}

/**
 * Opens a stored report.
 * @throws {StoreError} when its data key is gone or the seal is broken (the cause says which).
 */
export function openReport(keys: DataKeyring, stored: SealedReport): VerifiedReport {
  try {
    const plain = openAtRest(keys, fromBase64(stored.sealed.data), reportAad(stored.reporterUserId, stored.reportId))
    return JSON.parse(new TextDecoder().decode(plain)) as VerifiedReport
  } catch (e) {
    throw new StoreError('a stored report cannot be opened (data key missing or seal broken)', {}, { cause: e })
  }
}
