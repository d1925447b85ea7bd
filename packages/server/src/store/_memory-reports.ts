/**
 * The memory store's verified reports (sealed at rest: stored as given, once per reporter and
 * report id) and report coverage (the messages a device received or sent after a seq).
 */
import { deviceKey } from './_rules.js'
import { clone, type MemoryState } from './_memory-state.js'
import type { ParleyStore } from './store.js'

type ReportMethods = Pick<ParleyStore, 'saveReport' | 'getReport' | 'countReports' | 'sealLegacyReports' | 'deliveredAfter'>

export function memoryReportMethods(s: MemoryState): ReportMethods {
  const { reports, inboxes, bySeq, live } = s
  return {
    async saveReport(report) {
      const key = `${report.reporterUserId}\n${report.reportId}`
      const found = reports.get(key)
      if (found) return { duplicate: true, report: clone(found) }
      reports.set(key, clone(report))
      return { duplicate: false, report: clone(report) }
    },
    async getReport(userId, reportId) {
      const r = reports.get(`${userId}\n${reportId}`)
      return r ? clone(r) : null
    },
    async countReports() {
      return reports.size
    },
    async sealLegacyReports() {
      return 0
    },

    // ---- report coverage ----
    async deliveredAfter(device, conversationId, afterSeq, now) {
      const received = new Set((inboxes.get(deviceKey(device)) ?? []).map((r) => r.messageId))
      let count = 0
      let lastSeq = 0
      for (const m of bySeq.get(conversationId) ?? []) {
        if (m.seq <= afterSeq || m.kind !== 'message' || m.deleted || !live(m, now)) continue
        if (!received.has(m.id) && deviceKey(m.sender) !== deviceKey(device)) continue
        count++
        lastSeq = Math.max(lastSeq, m.seq)
      }
      return { count, lastSeq }
    },
  }
}
