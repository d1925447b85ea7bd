/**
 * Input checks in noble's style: they return their input and name the argument.
 * `TypeError` for a wrong type, `RangeError` for a wrong size.
 */
import { fromBase64 } from './_bytes.js'

/** Asserts `value` is a Uint8Array, of `length` bytes when given. */
export function abytes(value: unknown, name: string, length?: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`"${name}" expected Uint8Array, got ${typeof value}`)
  if (length !== undefined && value.length !== length)
    throw new RangeError(`"${name}" expected Uint8Array of length ${length}, got length=${value.length}`)
  return value
}

/** Asserts `value` is a string (non-empty when `nonEmpty`). */
export function astring(value: unknown, name: string, nonEmpty = false): string {
  if (typeof value !== 'string') throw new TypeError(`"${name}" expected string, got ${typeof value}`)
  if (nonEmpty && value.length === 0) throw new RangeError(`"${name}" expected a non-empty string`)
  return value
}

/** Asserts `value` is a safe non-negative integer no larger than `max`. */
export function aint(value: unknown, name: string, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(`"${name}" expected integer, got ${String(value)}`)
  if (value < 0 || value > max) throw new RangeError(`"${name}" expected an integer in [0, ${max}], got ${value}`)
  return value
}

/** Decodes base64 `value` and checks its decoded length when given. */
export function ab64(value: unknown, name: string, length?: number): Uint8Array {
  astring(value, name)
  let bytes: Uint8Array
  try {
    bytes = fromBase64(value as string)
  } catch {
    throw new TypeError(`"${name}" expected canonical base64`)
  }
  if (length !== undefined && bytes.length !== length)
    throw new RangeError(`"${name}" expected base64 of ${length} bytes, got ${bytes.length}`)
  return bytes
}
