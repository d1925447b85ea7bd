import { describe, expect, it } from 'vitest'
import { MessageBlockedError } from '@parley/protocol'
import { createPipeline, keywordFilter, verdictToError, type PipelineContext } from '@parley/moderation'
import { noShouting } from '../src/index.js'

const ctx: PipelineContext = { where: 'client', policy: 'default-e2ee', mode: 'e2ee', now: 0 }
const msg = (text: string) => ({ conversationId: 'c1', sender: { userId: 'u1', deviceId: 'd1' }, text, attachments: [] })

describe('noShouting', () => {
  const pipeline = createPipeline({ plugins: [noShouting()] })

  it('flags a message in capitals, with plugin name and reason', async () => {
    expect(await pipeline.checkOutgoing(msg('WHY IS NOBODY ANSWERING ME'), ctx)).toMatchObject({
      action: 'flag',
      plugin: 'no-shouting',
      reason: 'please do not shout',
    })
  })

  it('catches fullwidth capitals', async () => {
    expect((await pipeline.checkOutgoing(msg('ＳＴＯＰ ＩＧＮＯＲＩＮＧ ＭＥ'), ctx)).action).toBe('flag')
  })

  it('allows normal text, short acronyms and digits', async () => {
    for (const text of ['Hello there, how are you?', 'OK!', 'NASA and the ESA', '1234567890 12345']) {
      expect((await pipeline.checkOutgoing(msg(text), ctx)).action).toBe('allow')
    }
  })

  it('blocks when configured, and the block becomes MessageBlockedError', async () => {
    const strict = createPipeline({ plugins: [keywordFilter({ words: ['spam'], action: 'flag' }), noShouting({ action: 'block' })] })
    const v = await strict.checkOutgoing(msg('BUY MY SPAM RIGHT NOW'), ctx)
    expect(v).toMatchObject({ action: 'block', plugin: 'no-shouting', flags: [{ plugin: 'keyword-filter' }] })
    const err = verdictToError(v)
    expect(MessageBlockedError.isInstance(err)).toBe(true)
    expect(err?.details).toEqual({ plugin: 'no-shouting', reason: 'please do not shout' })
  })

  it('is listed as a required plugin for E2EE clients', () => {
    expect(pipeline.requiredPlugins()).toEqual([{ name: 'no-shouting', version: '1.0.0' }])
  })

  it('rejects a bad ratio', () => {
    expect(() => noShouting({ ratio: 0 })).toThrow(RangeError)
    expect(() => noShouting({ ratio: 2 })).toThrow(RangeError)
  })
})
