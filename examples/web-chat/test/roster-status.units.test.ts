/**
 * The roster panel's words for a group's verification state (src/ui/roster-status.ts): verified
 * with the head shown, not yet verified, and each roster error the client raises — which stays
 * shown after a later change verified (an attack seen once is worth seeing), and is never
 * confused with an unrelated error of the conversation.
 */
import { describe, expect, it } from 'vitest'
import { BadMacError, MemberMismatchError, RosterRejectedError } from '@parley/protocol'
import { HEAD_SHOWN, rosterErrorText, rosterStatus } from '../src/ui/roster-status.js'
import { parseUserIds } from '../src/ui/roster-panel.js'
import { describeError } from '../src/ui/describe-error.js'

const HEAD = 'q1w2e3r4t5y6u7i8o9p0AaSsDdFfGgHhJjKkLlZzXx='

describe('rosterStatus', () => {
  it('verified: the version and the head (shortened for the eye, whole in the title)', () => {
    expect(rosterStatus({ rosterVersion: 3, rosterHead: HEAD }, [])).toEqual({ state: 'verified', version: 3, head: HEAD, short: HEAD.slice(0, HEAD_SHOWN) })
  })

  it('not verified yet: no version held', () => {
    expect(rosterStatus({ rosterVersion: 0, rosterHead: null }, []).state).toBe('unverified')
  })

  it('a roster error the client raised wins over the verified state, with what the device still holds', () => {
    const fork = new RosterRejectedError('fork', { conversationId: 'g_1', reason: 'fork', version: 2 })
    const s = rosterStatus({ rosterVersion: 2, rosterHead: HEAD }, [{ error: fork }])
    expect(s).toMatchObject({ state: 'error', code: 'roster_rejected', reason: 'fork', version: 2, head: HEAD })
    expect(s.state === 'error' && s.text).toBe('Roster not accepted: the server showed members different rosters. [roster_rejected/fork]')
  })

  it('the newest roster error is shown; other errors of the conversation are not roster errors', () => {
    const errors = [
      { error: new RosterRejectedError('x', { reason: 'rollback' }) },
      { error: new MemberMismatchError('ghost') },
      { error: new BadMacError('bad') },
    ]
    expect(rosterStatus({ rosterVersion: 4, rosterHead: HEAD }, errors)).toMatchObject({ state: 'error', code: 'member_mismatch' })
    expect(rosterStatus({ rosterVersion: 4, rosterHead: HEAD }, [{ error: new BadMacError('bad') }]).state).toBe('verified')
  })

  it('every reason has words; an unknown one is shown as its code', () => {
    for (const reason of ['bad_signature', 'not_admin', 'bad_chain', 'gap', 'rollback', 'fork', 'head_mismatch', 'mismatch', 'invalid_change', 'stale'] as const) {
      expect(rosterErrorText(new RosterRejectedError('m', { reason }))).not.toContain(`: ${reason}.`)
    }
    expect(rosterErrorText(new RosterRejectedError('m', { reason: 'novel' as never }))).toContain(': novel.')
    expect(rosterErrorText(new RosterRejectedError('m'))).toBe('Roster not accepted: verification failed. [roster_rejected]')
  })
})

describe('describeError', () => {
  it('uses the roster words wherever a roster error is shown (timeline, top bar)', () => {
    const e = new RosterRejectedError('m', { reason: 'mismatch' })
    expect(describeError(e)).toBe(rosterErrorText(e))
    expect(describeError(new MemberMismatchError('m'))).toBe('A message or member list does not match the signed roster. [member_mismatch]')
  })
})

describe('parseUserIds', () => {
  it('splits on commas and spaces, lower-cases, drops blanks and repeats', () => {
    expect(parseUserIds(' Bob, carol  dave,,bob ')).toEqual(['bob', 'carol', 'dave'])
    expect(parseUserIds('  ')).toEqual([])
  })
})
