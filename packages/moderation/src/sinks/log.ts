/**
 * Log report sink (docs/moderation.md, "Log sink"): one structured line per verified report
 * on a pino-compatible logger (`logger.info(obj, msg)`). Message text and attachment names
 * are left out unless `includeText: true`, so logs hold no plaintext by default (required
 * for E2EE deployments, where a report is the only way content reaches the server).
 */
import type { ModerationPlugin, VerifiedReport } from '@parley/protocol'
import { _name } from '../_options.js'
import { MODERATION_VERSION } from '../version.js'

/** The logger subset used: pino, or anything with `info(obj, msg)`. */
export interface ReportLogger {
  info(obj: Record<string, unknown>, msg?: string): void
}

/** Options of {@link logSink}. */
export interface LogSinkOptions {
  logger: ReportLogger
  /** Log message text and attachment names too. Default `false`. */
  includeText?: boolean
  /** The log line's message. Default `'parley report'`. */
  message?: string
  /** Plugin name. Default `'log-sink'`. */
  name?: string
}

/**
 * The object {@link logSink} logs for `report`: everything but message text and attachment
 * names unless `includeText` (then the report as is, copied).
 */
export function reportLogFields(report: VerifiedReport, includeText = false): Record<string, unknown> {
  return {
    reportId: report.reportId,
    conversationId: report.conversationId,
    reporter: { ...report.reporter },
    reason: report.reason,
    receivedAt: report.receivedAt,
    transcript: { ...report.transcript, gaps: [...report.transcript.gaps] },
    entries: report.entries.map((e) => ({
      messageId: e.messageId,
      seq: e.seq,
      ts: e.ts,
      sender: { ...e.sender },
      verified: e.verified,
      ...(e.failure !== undefined ? { failure: e.failure } : {}),
      ...(includeText
        ? { text: e.text, attachments: e.attachments.map((a) => ({ ...a })) }
        : { textLength: e.text.length, attachments: e.attachments.map((a) => ({ mime: a.mime, size: a.size, sha256: a.sha256 })) }),
    })),
  }
}

/**
 * A report sink that logs each verified report as `logger.info({ report }, 'parley report')`.
 *
 * @throws {TypeError} when `logger.info` is not a function.
 * @example logSink({ logger: pino() })
 */
export function logSink(options: LogSinkOptions): ModerationPlugin {
  if (options === null || typeof options !== 'object') throw new TypeError('"options" expected an object')
  const logger = options.logger
  if (logger === null || typeof logger !== 'object' || typeof logger.info !== 'function') throw new TypeError('"logger" expected an object with info(obj, msg)')
  const includeText = options.includeText ?? false
  if (typeof includeText !== 'boolean') throw new TypeError('"includeText" expected a boolean')
  const message = options.message ?? 'parley report'
  const name = _name(options.name, 'log-sink')
  return {
    name,
    version: MODERATION_VERSION,
    specificationVersion: 'v1',
    onReport(report) {
      logger.info({ report: reportLogFields(report, includeText) }, message)
    },
  }
}
