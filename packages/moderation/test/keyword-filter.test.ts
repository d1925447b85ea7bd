import { describe, expect, it } from 'vitest'
import { createPipeline, foldText, keywordFilter, skeletonText } from '../src/index.js'
import { ctx, message } from './fixtures.js'

const filter = keywordFilter({ words: ['scam', 'free money'], patterns: [/buy\s*now/], action: 'block' })
const check = (text: string) => filter.checkOutgoing!(message(text), { ...ctx(), hook: 'checkOutgoing', signal: new AbortController().signal })

describe('normalisation', () => {
  it('folds width, case, accents, ligatures and invisible characters', () => {
    expect(foldText('Ｆｒｅｅ\u200B  Móney')).toBe('free money')
    expect(foldText('STRAẞE ﬁne')).toBe('strasse fine')
    expect(foldText('s\u00ADc\u200Da\u2060m\uFEFF')).toBe('scam')
    expect(foldText('𝐬𝐜𝐚𝐦')).toBe('scam')
  })

  it('maps homoglyphs and leetspeak digits to one skeleton', () => {
    expect(skeletonText('ѕсаm')).toBe(skeletonText('scam')) // Cyrillic ѕ с а
    expect(skeletonText('5C4M')).toBe(skeletonText('scam'))
    expect(skeletonText('ꜱᴄᴀᴍ')).toBe(skeletonText('scam'))
    expect(skeletonText('ΑΒΕ')).toBe(skeletonText('abe')) // Greek capitals
  })
})

describe('keywordFilter', () => {
  it('blocks the plain word with the configured action and a reason without the word', () => {
    const v = check('this is a scam')
    expect(v).toEqual({ action: 'block', reason: 'matched a filtered term' })
    expect(JSON.stringify(v)).not.toContain('scam')
  })

  it('allows clean text and respects word boundaries', () => {
    expect(check('hello there')).toEqual({ action: 'allow' })
    expect(check('scampi for dinner')).toEqual({ action: 'allow' })
    expect(check('a moneyfree day')).toEqual({ action: 'allow' })
  })

  const bypasses: Array<[string, string]> = [
    ['mixed case', 'ScAm alert'],
    ['zero-width space inside', 's\u200Bcam'],
    ['zero-width joiner and soft hyphen', 'sc\u200Da\u00ADm'],
    ['Cyrillic а', 'sc\u0430m'],
    ['all-Cyrillic look-alikes', 'ѕсаm'],
    ['Greek omicron in a phrase', 'free m\u03BFney'],
    ['fullwidth', 'ｓｃａｍ'],
    ['mathematical bold', '𝐬𝐜𝐚𝐦'],
    ['accents', 'scàm'],
    ['combining marks', 'sc\u0061\u0301m'],
    ['leetspeak digits', '5c4m'],
    ['small capitals', 'ꜱᴄᴀᴍ'],
    ['extra whitespace in a phrase', 'free \t\n money'],
    ['punctuation around', '(scam!)'],
    ['pattern with fullwidth and spacing', 'ＢＵＹ   now'],
  ]
  for (const [what, text] of bypasses) {
    it(`catches ${what}`, () => expect(check(text)).toMatchObject({ action: 'block' }))
  }

  it('checks attachment names too', () => {
    const v = filter.checkIncoming!(
      message('see file', [{ name: 'ѕсаm.pdf', mime: 'application/pdf', size: 1, sha256: 'A'.repeat(43) + '=' }]),
      { ...ctx(), hook: 'checkIncoming', signal: new AbortController().signal },
    )
    expect(v).toMatchObject({ action: 'block' })
  })

  it('flags instead of blocking when asked, through the pipeline', async () => {
    const p = createPipeline({ plugins: [keywordFilter({ words: ['spam'], action: 'flag', reason: 'spam-like' })] })
    expect(await p.checkOutgoing(message('SP\u200BAM'), ctx())).toMatchObject({ action: 'flag', plugin: 'keyword-filter', reason: 'spam-like' })
    expect(await p.checkOutgoing(message('hello'), ctx())).toMatchObject({ action: 'allow' })
  })

  it('ignores g/y flags so repeated checks are stable', () => {
    const f = keywordFilter({ patterns: [/bad/g], action: 'block' })
    const c = { ...ctx(), hook: 'checkOutgoing' as const, signal: new AbortController().signal }
    for (let i = 0; i < 3; i++) expect(f.checkOutgoing!(message('bad'), c)).toMatchObject({ action: 'block' })
  })

  it('installs only the requested hooks and declares name and version', () => {
    const f = keywordFilter({ words: ['x'], action: 'block', hooks: ['checkIncoming'], name: 'kw2' })
    expect(f.checkOutgoing).toBeUndefined()
    expect(typeof f.checkIncoming).toBe('function')
    expect(f.name).toBe('kw2')
    expect(f.version).toMatch(/^\d+\.\d+\.\d+/)
  })

  it('rejects bad options', () => {
    expect(() => keywordFilter({ words: ['x'], action: 'nope' as never })).toThrow(TypeError)
    expect(() => keywordFilter({ action: 'block' })).toThrow(/words.*patterns/)
    expect(() => keywordFilter({ words: [5 as never], action: 'block' })).toThrow(/words\[0\]/)
    expect(() => keywordFilter({ words: ['\u200B'], action: 'block' })).toThrow(/empty/)
    expect(() => keywordFilter({ patterns: ['x' as never], action: 'block' })).toThrow(/patterns\[0\]/)
    expect(() => keywordFilter({ words: ['x'.repeat(300)], action: 'block' })).toThrow(RangeError)
  })
})
