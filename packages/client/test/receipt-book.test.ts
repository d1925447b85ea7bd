/**
 * The receipt book keys marks by user and device id, ids from the wire: an id that names what
 * every object has (`__proto__`) must land in the book as an own entry, never in
 * `Object.prototype` (review of 2026-12-03: a device named `__proto__` polluted every object of
 * the client and crashed it). The protocol refuses such ids too (`RESERVED_IDS`); this is the
 * book's own guard.
 */
import { afterEach, expect, it } from 'vitest'
import { raiseMark, type ReceiptBook } from '../src/receipts/receipt-book.js'

afterEach(() => {
  for (const k of ['read', 'delivered', 'ref', 'proto-probe']) delete (Object.prototype as Record<string, unknown>)[k]
})

it('a mark from user or device "__proto__" is an own entry of the book; Object.prototype is untouched', () => {
  const book: ReceiptBook = {}
  expect(raiseMark(book, { userId: 'bob', deviceId: '__proto__' }, 'read', 5, 1)).toBe(-1)
  expect(raiseMark(book, { userId: '__proto__', deviceId: 'ref' }, 'delivered', 3, 1)).toBe(-1)
  expect(({} as Record<string, unknown>).read).toBeUndefined()
  expect(({} as Record<string, unknown>).delivered).toBeUndefined()
  expect(({} as Record<string, unknown>).ref).toBeUndefined()
  expect(Object.hasOwn(book.bob!, '__proto__')).toBe(true)
  expect(Object.getOwnPropertyDescriptor(book.bob!, '__proto__')!.value).toEqual({ read: { seq: 5, ts: 1 }, delivered: { seq: 5, ts: 1 } })
  expect(Object.getOwnPropertyDescriptor(book, '__proto__')!.value).toEqual({ ref: { delivered: { seq: 3, ts: 1 } } })
  // Marks never go down, for such an entry too; the entry survives a JSON round trip as an own key.
  expect(raiseMark(book, { userId: 'bob', deviceId: '__proto__' }, 'read', 4, 2)).toBeNull()
  const again = JSON.parse(JSON.stringify(book)) as ReceiptBook
  expect(Object.hasOwn(again.bob!, '__proto__')).toBe(true)
})

it('control: a device named "toString" gets its own marks, not the inherited function', () => {
  const book: ReceiptBook = {}
  raiseMark(book, { userId: 'bob', deviceId: 'toString' }, 'delivered', 2, 1)
  expect(book.bob!.toString).toEqual({ delivered: { seq: 2, ts: 1 } })
})
