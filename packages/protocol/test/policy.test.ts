import { describe, expect, it } from 'vitest'
import {
  DowngradeRejectedError, POLICIES, POLICY_TABLE, PolicyViolationError, assertNoDowngrade, createModeState,
  highestMode, initialMode, nextModeState, negotiateVersion, UnsupportedVersionError, toBase64, fromBase64,
  PROTOCOL_VERSION,
} from '../src/index.js'
import { _checkedPortableFromBase64, _portableFromBase64, _portableToBase64 } from '../src/base64.js'
import fc from 'fast-check'

describe('mode state machine', () => {
  it('starts conversations per the policy table', () => {
    expect(initialMode('server-side')).toBe('server-side')
    expect(initialMode('optional-e2ee')).toBe('server-side')
    expect(initialMode('default-e2ee')).toBe('e2ee')
  })
  it('upgrades only where the policy allows, one-way and idempotently', () => {
    const s = createModeState('optional-e2ee')
    const up = nextModeState(s, { type: 'upgrade' }, 'optional-e2ee')
    expect(up.mode).toBe('e2ee')
    expect(nextModeState(up, { type: 'upgrade' }, 'optional-e2ee')).toBe(up)
    expect(() => nextModeState(createModeState('server-side'), { type: 'upgrade' }, 'server-side')).toThrow(PolicyViolationError)
  })
  it('a policy change never converts an e2ee conversation back', () => {
    const e2ee = createModeState('default-e2ee')
    for (const policy of POLICIES) expect(nextModeState(e2ee, { type: 'policy-changed', policy }, policy).mode).toBe('e2ee')
  })
  it('moving the policy up marks server-side conversations for upgrade on next send', () => {
    const s = createModeState('server-side')
    const moved = nextModeState(s, { type: 'policy-changed', policy: 'default-e2ee' }, 'default-e2ee')
    expect(moved).toEqual({ mode: 'server-side', upgradeRequired: true })
    expect(nextModeState(moved, { type: 'upgrade' }, 'default-e2ee').mode).toBe('e2ee')
    expect(nextModeState(s, { type: 'policy-changed', policy: 'optional-e2ee' }, 'optional-e2ee').upgradeRequired).toBe(false)
  })
  it('observing a server-side frame in an e2ee conversation is a downgrade', () => {
    const e2ee = createModeState('default-e2ee')
    expect(() => nextModeState(e2ee, { type: 'observed', mode: 'server-side' }, 'default-e2ee', 'c1')).toThrow(DowngradeRejectedError)
    expect(() => assertNoDowngrade('e2ee', 'server-side')).toThrow(DowngradeRejectedError)
    expect(() => assertNoDowngrade('server-side', 'e2ee')).not.toThrow()
  })
  it('no sequence of events ever moves e2ee back to server-side', () => {
    const event = fc.oneof(
      fc.constant({ type: 'upgrade' as const }),
      fc.constantFrom(...POLICIES).map((policy) => ({ type: 'policy-changed' as const, policy })),
      fc.constantFrom('server-side' as const, 'e2ee' as const).map((mode) => ({ type: 'observed' as const, mode })),
    )
    fc.assert(
      fc.property(fc.constantFrom(...POLICIES), fc.array(event, { maxLength: 30 }), (policy, events) => {
        let s = createModeState(policy)
        let seenE2ee = s.mode === 'e2ee'
        for (const e of events) {
          try {
            s = nextModeState(s, e, e.type === 'policy-changed' ? e.policy : policy)
          } catch (err) {
            expect(PolicyViolationError.isInstance(err) || DowngradeRejectedError.isInstance(err)).toBe(true)
          }
          if (seenE2ee) expect(s.mode).toBe('e2ee')
          seenE2ee ||= s.mode === 'e2ee'
        }
      }),
      { numRuns: 300 },
    )
  })
  it('pins the highest mode', () => {
    expect(highestMode('server-side', 'e2ee')).toBe('e2ee')
    expect(highestMode('e2ee', 'server-side')).toBe('e2ee')
    expect(Object.keys(POLICY_TABLE)).toEqual([...POLICIES])
  })
})

describe('version negotiation', () => {
  it('picks the highest common version', () => {
    expect(negotiateVersion([1, 7], [1, 2, 7])).toBe(7)
    expect(negotiateVersion([PROTOCOL_VERSION])).toBe(PROTOCOL_VERSION)
  })
  it('version 2 (ratchet header MAC) is the only one spoken: a version-1 client is refused', () => {
    expect(PROTOCOL_VERSION).toBe(2)
    expect(() => negotiateVersion([1])).toThrow(UnsupportedVersionError)
  })
  it('fails with UnsupportedVersionError and names both sides', () => {
    try {
      negotiateVersion([9])
      expect.unreachable()
    } catch (e) {
      expect(UnsupportedVersionError.isInstance(e)).toBe(true)
      expect((e as UnsupportedVersionError).details).toEqual({ offered: [9], supported: [2] })
    }
  })
})

describe('base64', () => {
  it('matches Node Buffer for arbitrary bytes and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const text = toBase64(bytes)
        expect(text).toBe(Buffer.from(bytes).toString('base64'))
        expect(fromBase64(text)).toEqual(bytes)
        // The browser path (btoa/atob) must agree with the Node path.
        expect(_portableToBase64(bytes)).toBe(text)
        expect(_portableFromBase64(text)).toEqual(bytes)
      }),
      { numRuns: 300 },
    )
  })
  it('the native (Node) and browser decoders accept and refuse exactly the same texts', () => {
    const outcome = (f: (t: string) => Uint8Array, t: string) => {
      try { return Array.from(f(t)).join(',') } catch (e) { return e instanceof TypeError ? 'TypeError' : 'other' }
    }
    const alphabet = fc.constantFrom(...'ABCDQRSTabcdwxyz0189+/=-_ \n'.split(''))
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: alphabet, maxLength: 16 }), fc.uint8Array({ maxLength: 20 }).map((b) => toBase64(b))), (text) => {
        expect(outcome(fromBase64, text)).toBe(outcome(_checkedPortableFromBase64, text))
      }),
      { numRuns: 2000 },
    )
  })
  it('refuses non-canonical text', () => {
    expect(() => fromBase64('abc')).toThrow(TypeError)
    expect(() => fromBase64('QR==')).toThrow(TypeError) // non-zero padding bits
    expect(() => fromBase64('@@@@')).toThrow(TypeError)
    expect(() => toBase64('x' as never)).toThrow(TypeError)
  })
})
