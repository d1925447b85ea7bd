import { describe, expect, it } from 'vitest'
import { cloneJson } from '../src/key-store/key-store.js'

describe('cloneJson', () => {
  it('copies deeply (also past the fast path depth) and drops undefined fields', () => {
    let deep: Record<string, unknown> = { leaf: [1, 'a', true, null] }
    for (let i = 0; i < 100; i++) deep = { next: deep, skip: undefined }
    const copy = cloneJson(deep) as Record<string, unknown>
    expect(copy).toEqual(JSON.parse(JSON.stringify(deep)))
    expect(copy).not.toBe(deep)
    expect('skip' in copy).toBe(false)
  })

  it('names the path of a refused value', () => {
    expect(() => cloneJson({ a: [{ b: Number.NaN }] }, 'k')).toThrow('"k.a[0].b" expected a finite number')
    expect(() => cloneJson({ a: new Uint8Array(1) })).toThrow('"value.a" expected a plain object, got Uint8Array')
    const cyc: Record<string, unknown> = { x: {} }
    ;(cyc.x as Record<string, unknown>).back = cyc
    expect(() => cloneJson(cyc)).toThrow('"value.x.back" is a cycle')
  })
})
