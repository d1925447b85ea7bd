import { describe, expect, it } from 'vitest'
import { firstLoneSurrogate, InvalidFrameError, isWellFormedText, parseClientFrame } from '../src/index.js'

describe('well-formed Unicode', () => {
  it('finds lone surrogates, never a valid pair', () => {
    expect(firstLoneSurrogate('a\uD800b')).toBe(1)
    expect(firstLoneSurrogate('ok \uDC00')).toBe(3)
    expect(firstLoneSurrogate('\uD83D\uDE00 \uFFFD')).toBe(-1)
    expect(isWellFormedText('\uD83D\uDE00')).toBe(true)
    expect(isWellFormedText('\uDE00\uD83D')).toBe(false)
    expect(isWellFormedText(5)).toBe(false)
    expect(() => firstLoneSurrogate(5 as never)).toThrow(TypeError)
  })

  it('report entries, reasons, bodies and attachment names must be well-formed', () => {
    const entry = {
      messageId: 'm1', conversationId: 'c1', seq: 1, ts: 1, sender: { userId: 'a', deviceId: 'd' }, text: 'x\uD800', attachments: [],
      nf: 'A'.repeat(43) + '=', tf: 'A'.repeat(43) + '=', rf: 'A'.repeat(43) + '=', kid: 'k',
    }
    const frame = { reportId: 'r', conversationId: 'c1', reason: 'spam', entries: [entry] }
    expect(() => parseClientFrame('report.submit', frame)).toThrow(InvalidFrameError)
    try {
      parseClientFrame('report.submit', frame)
    } catch (e) {
      expect((e as InvalidFrameError).details.issues).toEqual([{ path: 'entries.0.text', message: 'expected well-formed Unicode (no lone surrogates)' }])
    }
    expect(() => parseClientFrame('report.submit', { ...frame, entries: [{ ...entry, text: 'x\uFFFD' }] })).not.toThrow()
    expect(() => parseClientFrame('report.submit', { ...frame, reason: '\uDBFF', entries: [] })).toThrow(InvalidFrameError)
  })
})
