import { describe, expect, it, vi } from 'vitest'
import * as protocol from '../src/index.js'
import {
  ERROR_CLASSES, ERROR_CODES, InvalidFrameError, MessageBlockedError, ParleyError, PayloadTooLargeError,
  errorFromWire, errorToWire,
} from '../src/index.js'

describe('error classes', () => {
  it('have unique stable codes', () => {
    expect(new Set(ERROR_CODES).size).toBe(ERROR_CODES.length)
    expect(ERROR_CODES).toContain('duplicate')
    expect(ERROR_CODES).toContain('message_blocked')
  })
  for (const { cls } of ERROR_CLASSES) {
    it(`${cls.name} round-trips through its wire form`, () => {
      const details = { plugin: 'p', reason: 'r', n: 3, nested: { a: [1, 2] } }
      const original = new (cls as unknown as new (m: string, d: object) => ParleyError)(`msg of ${cls.name}`, details)
      const wire = JSON.parse(JSON.stringify(original.toWire())) as protocol.WireError
      expect(wire.code).toBe(original.code)
      const rebuilt = errorFromWire(wire)
      expect(rebuilt.constructor).toBe(cls)
      expect(rebuilt.name).toBe(cls.name)
      expect(rebuilt.code).toBe(original.code)
      expect(rebuilt.message).toBe(original.message)
      expect(rebuilt.details).toEqual(details)
      expect((cls as typeof ParleyError).isInstance(rebuilt)).toBe(true)
      expect(ParleyError.isInstance(rebuilt)).toBe(true)
      expect(rebuilt).toBeInstanceOf(Error)
    })
  }
  it('isInstance tells classes apart and follows inheritance', () => {
    const tooLarge = new PayloadTooLargeError()
    expect(InvalidFrameError.isInstance(tooLarge)).toBe(true)
    expect(PayloadTooLargeError.isInstance(new InvalidFrameError())).toBe(false)
    expect(MessageBlockedError.isInstance(tooLarge)).toBe(false)
    expect(ParleyError.isInstance(new Error('x'))).toBe(false)
    expect(ParleyError.isInstance(null)).toBe(false)
    expect(ParleyError.isInstance({ code: 'message_blocked' })).toBe(false)
    expect(ParleyError.is(new MessageBlockedError('b', { plugin: 'p', reason: 'r' }), 'message_blocked')).toBe(true)
  })
  it('isInstance works across two copies of the package (dual-package hazard)', async () => {
    vi.resetModules()
    const copy = (await import('../src/index.js?copy=2' as string)) as typeof protocol
    expect(copy.MessageBlockedError).not.toBe(MessageBlockedError)
    const fromCopy = new copy.MessageBlockedError('blocked', { plugin: 'kw', reason: 'bad word' })
    expect(fromCopy instanceof MessageBlockedError).toBe(false)
    expect(MessageBlockedError.isInstance(fromCopy)).toBe(true)
    expect(ParleyError.isInstance(fromCopy)).toBe(true)
    expect(copy.MessageBlockedError.isInstance(new MessageBlockedError('x', { plugin: 'a', reason: 'b' }))).toBe(true)
    expect(InvalidFrameError.isInstance(new copy.PayloadTooLargeError())).toBe(true)
    expect(copy.RateLimitedError.isInstance(fromCopy)).toBe(false)
  })
  it('unknown codes from a newer peer become a ParleyError keeping the code', () => {
    const e = errorFromWire({ code: 'from_the_future', message: 'hi', details: { a: 1 } })
    expect(ParleyError.isInstance(e)).toBe(true)
    expect(e.code).toBe('from_the_future')
    expect(e.details).toEqual({ a: 1 })
  })
  it('errorToWire hides non-Parley errors', () => {
    const w = errorToWire(new Error('secret stack detail'))
    expect(w.code).toBe('internal')
    expect(JSON.stringify(w)).not.toContain('secret')
    expect(errorToWire(new MessageBlockedError('no', { plugin: 'p', reason: 'r' }))).toEqual({
      code: 'message_blocked', message: 'no', details: { plugin: 'p', reason: 'r' },
    })
  })
  it('errorFromWire refuses garbage with TypeError', () => {
    expect(() => errorFromWire(null as never)).toThrow(TypeError)
    expect(() => errorFromWire({ code: 1 } as never)).toThrow(TypeError)
  })
})
