import { Writable } from 'node:stream'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { createPipeline, logSink } from '../src/index.js'
import { ctx, report } from './fixtures.js'

function capture() {
  const lines: string[] = []
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
  return { logger: pino({ base: null }, stream), lines }
}

describe('logSink', () => {
  it('logs one pino line per report without message text by default', async () => {
    const { logger, lines } = capture()
    const attachments = [{ name: 'private-name.jpg', mime: 'image/jpeg', size: 3, sha256: 'A'.repeat(43) + '=' }]
    const r = report()
    r.entries[0]!.attachments = attachments
    await createPipeline({ plugins: [logSink({ logger })] }).onReport(r, ctx())
    expect(lines).toHaveLength(1)
    const line = JSON.parse(lines[0]!) as { msg: string; level: number; report: { reportId: string; entries: Array<Record<string, unknown>>; transcript: unknown } }
    expect(line.msg).toBe('parley report')
    expect(line.level).toBe(30)
    expect(line.report.reportId).toBe('r1')
    expect(line.report.transcript).toEqual({ verified: false, ordered: true, gaps: [2], complete: true, laterDelivered: 0 })
    expect(line.report.entries[1]).toMatchObject({ verified: false, failure: 'bad_opening', textLength: 17 })
    expect(lines[0]).not.toContain('secret words')
    expect(lines[0]).not.toContain('private-name')
  })

  it('logs text only when configured', async () => {
    const { logger, lines } = capture()
    await createPipeline({ plugins: [logSink({ logger, includeText: true })] }).onReport(report(), ctx())
    expect(lines[0]).toContain('secret words here')
  })

  it('rejects a logger without info', () => {
    expect(() => logSink({ logger: {} as never })).toThrow(TypeError)
  })
})
