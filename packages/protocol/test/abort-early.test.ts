/**
 * A frame is refused at its first issue (decision 0010): valibot otherwise collects one issue per
 * bad item, and a `message.send` of 15,999 bad envelopes (within the array's maximum, so past
 * `checkBounds`) cost 1.4 s of validation on a loaded machine.
 */
import { describe, expect, it } from 'vitest'
import { InvalidFrameError, MAX_GROUP_ENVELOPES, parseClientFrame } from '../src/index.js'

describe('client frames are refused at their first issue', () => {
  it('a message.send of MAX_GROUP_ENVELOPES bad envelopes reports one issue, the first', () => {
    const frame = {
      conversationId: 'c', clientMessageId: 'x', mode: 'e2ee', tf: 'A'.repeat(43) + '=',
      envelopes: Array(MAX_GROUP_ENVELOPES).fill({ userId: 'u', deviceId: 'd', type: 'message', ciphertext: 1 }),
    }
    let error: unknown
    try {
      parseClientFrame('message.send', frame)
    } catch (e) {
      error = e
    }
    expect(InvalidFrameError.isInstance(error)).toBe(true)
    expect((error as InvalidFrameError).details?.issues).toHaveLength(1)
    expect((error as InvalidFrameError).details?.issues?.[0]?.path).toMatch(/^envelopes\.0\./)
  })
})
