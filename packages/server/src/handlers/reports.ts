/**
 * `report.submit`: the same verification in every mode. Franking openings and bindings are
 * checked with `verifyTranscript`; then each entry must be a message of that conversation
 * actually delivered to (or sent by) the reporter, with the stored seq and sender — else it is
 * `not_delivered_to_reporter`. Coverage: the messages the reporting device received or sent
 * after the last verified entry are counted (`transcript.laterDelivered`; `complete` when 0),
 * so a report that stops early says so. Reports are idempotent by (reporter, reportId), rate-limited
 * across nodes, stored sealed with the data key (`report-seal.ts`), and handed to `onReport`
 * and the plugins' `onReport`.
 */
import { RateLimitedError, type VerifiedReport, type VerifiedReportEntry } from '@parley/protocol'
import { MAX_TRANSCRIPT_GAPS, verifyTranscript } from '@parley/crypto'
import { DEFAULT_REPORT_LIMIT } from '../options.js'
import { me, memberOf, type Ctx } from '../context.js'
import { openReport, sealReport } from '../report-seal.js'
import { withheldIn } from '../safety/gate.js'
import { membershipAt } from '../groups/membership-at.js'
import type { Handler } from './types.js'

const counts = (r: VerifiedReport, duplicate: boolean) => ({
  reportId: r.reportId, duplicate, verifiedEntries: r.entries.filter((e) => e.verified).length, totalEntries: r.entries.length,
})

function gapsOf(entries: VerifiedReportEntry[]): number[] {
  const seqs = entries.filter((e) => e.verified).map((e) => e.seq).sort((a, b) => a - b)
  const gaps: number[] = []
  for (let i = 1; i < seqs.length && gaps.length < MAX_TRANSCRIPT_GAPS; i++) {
    for (let s = seqs[i - 1]! + 1; s < seqs[i]! && gaps.length < MAX_TRANSCRIPT_GAPS; s++) gaps.push(s)
  }
  return gaps
}

async function notify(ctx: Ctx, report: VerifiedReport): Promise<void> {
  const { onReport } = ctx.options
  if (onReport) {
    try {
      await onReport(report)
    } catch (e) {
      ctx.reportError(e, { where: 'onReport', userId: report.reporter.userId })
    }
  }
  await ctx.pipeline.onReport(report, { where: 'server', policy: ctx.policy, mode: 'server-side', now: ctx.now(), buckets: ctx.store.buckets })
}

export const reportSubmit: Handler<'report.submit'> = {
  needs: 'registered',
  async run(ctx, s, f) {
    const reporter = me(s)
    const existing = await ctx.store.getReport(reporter.userId, f.reportId)
    if (existing) return counts(openReport(ctx.dataKeys, existing), true)
    const conversation = await memberOf(ctx, f.conversationId, reporter.userId)
    const limit = ctx.options.limits?.reports ?? DEFAULT_REPORT_LIMIT
    if (!(await ctx.store.buckets.take(`report:${reporter.userId}`, limit.capacity, limit.refillPerSecond, ctx.now()))) {
      throw new RateLimitedError('too many reports', { scope: 'reports', retryAfterMs: Math.ceil(1000 / limit.refillPerSecond) })
    }
    const checked = verifyTranscript(ctx.frankingKeys, f.entries, conversation.id)
    const seen = new Map((await ctx.store.messagesSeenBy(reporter.userId, conversation.id, f.entries.map((e) => e.messageId))).map((m) => [m.id, m]))
    // Groups: the sender must have been a member at the entry's seq, by the stored roster records.
    const wasMember = conversation.kind === 'group' ? membershipAt(await ctx.store.rosterRecords(conversation.id, 0, Number.MAX_SAFE_INTEGER)) : () => true
    const entries = checked.entries.map((e): VerifiedReportEntry => {
      if (!e.verified) return e
      const m = seen.get(e.messageId)
      const matches = m && m.kind === 'message' && m.seq === e.seq && m.sender.userId === e.sender.userId && m.sender.deviceId === e.sender.deviceId
      if (!matches) return { ...e, verified: false, failure: 'not_delivered_to_reporter' }
      return wasMember(e.sender.userId, e.seq) ? e : { ...e, verified: false, failure: 'sender_not_member' }
    })
    let gaps = gapsOf(entries)
    if (gaps.length > 0) {
      // A mode change takes a seq but is no message (it can never be reported): not a gap.
      const rows = await ctx.store.history(conversation.id, reporter, gaps[gaps.length - 1]! + 1, gaps[gaps.length - 1]! - gaps[0]! + 1, ctx.now())
      const notMessages = new Set(rows.filter((r) => r.message.kind !== 'message').map((r) => r.message.seq))
      // Safety: a message withheld from the reporter (a blocked sender's) is not one they left out.
      const withheld = await withheldIn(ctx, reporter.userId, rows)
      for (const r of rows) if (withheld.has(r.message.id)) notMessages.add(r.message.seq)
      gaps = gaps.filter((s) => !notMessages.has(s))
    }
    // Coverage: what this device received or sent after the last entry that verified (a
    // forged far-away seq cannot claim completeness, it does not verify).
    const reached = entries.reduce((max, e) => (e.verified && e.seq > max ? e.seq : max), 0)
    const later = await ctx.store.deliveredAfter(reporter, conversation.id, reached, ctx.now())
    const report: VerifiedReport = {
      reportId: f.reportId, conversationId: conversation.id, reporter, reason: f.reason, receivedAt: ctx.now(), entries,
      transcript: {
        verified: entries.length > 0 && entries.every((e) => e.verified) && checked.transcript.ordered && gaps.length === 0,
        ordered: checked.transcript.ordered,
        gaps,
        complete: later.count === 0,
        laterDelivered: later.count,
      },
    }
    const saved = await ctx.store.saveReport(sealReport(ctx.dataKeys, report))
    if (saved.duplicate) return counts(openReport(ctx.dataKeys, saved.report), true)
    void ctx.track(notify(ctx, report))
    return counts(report, false)
  },
}
