/** Identity pinning helpers for stores. */
import { IdentityChangedError, ParleyError } from '@parley/protocol'
import { describe, expect, it } from 'vitest'
import { assertSameIdentity, checkIdentity, generateDeviceIdentity, generateUserIdentity } from '../src/index.js'

describe('checkIdentity / assertSameIdentity', () => {
  const a = generateUserIdentity().publicKey
  const b = generateDeviceIdentity('d1').identity.publicKey

  it('reports new when nothing is pinned and same when the key matches', () => {
    expect(checkIdentity(undefined, a, 'alice')).toBe('new')
    expect(checkIdentity(null, a, 'alice')).toBe('new')
    expect(checkIdentity(a, a, 'alice')).toBe('same')
    expect(() => assertSameIdentity(b, b, 'bob')).not.toThrow()
  })

  it('throws IdentityChangedError naming the user when the pinned key differs', () => {
    for (const f of [() => checkIdentity(a, b, 'alice'), () => assertSameIdentity(a, b, 'alice')]) {
      let caught: unknown
      try { f() } catch (e) { caught = e }
      expect(caught).toBeInstanceOf(IdentityChangedError)
      expect(ParleyError.is(caught, 'identity_changed')).toBe(true)
      expect((caught as IdentityChangedError).details).toEqual({ userId: 'alice' })
    }
  })

  it('rejects malformed keys and user ids with precise errors, never as a change', () => {
    expect(() => checkIdentity(undefined, 'not base64', 'alice')).toThrow(TypeError)
    expect(() => checkIdentity(undefined, 'AAAA', 'alice')).toThrow(RangeError)
    expect(() => checkIdentity('AAAA', a, 'alice')).toThrow(RangeError)
    expect(() => checkIdentity(a, a, '')).toThrow(RangeError)
    expect(() => assertSameIdentity(undefined as unknown as string, a, 'alice')).toThrow(TypeError)
  })
})
