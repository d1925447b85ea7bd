/**
 * The base of every Parley error. Marked with a global symbol rather than relying on
 * `instanceof`, so `isInstance` holds across two copies of the package (the dual-package
 * hazard of ESM + CJS, or two installed versions). Errors never carry plaintext or secrets.
 */

const MARKER = Symbol.for('parley.error')

/** Error as it crosses the wire: a stable code, a human message and JSON-safe details. */
export interface WireError {
  code: string
  message: string
  details?: Record<string, unknown>
}

type Lineage = readonly string[]

function lineageOf(ctor: unknown): string[] {
  const codes: string[] = []
  let c: unknown = ctor
  while (typeof c === 'function') {
    const code: unknown = Object.prototype.hasOwnProperty.call(c, 'code') ? (c as { code?: unknown }).code : undefined
    if (typeof code === 'string') codes.push(code)
    c = Object.getPrototypeOf(c)
  }
  return codes
}

/**
 * Base class of all Parley errors. `code` is stable and documented in `docs/errors.md`;
 * `details` is JSON-safe and round-trips through {@link ParleyError.toWire}.
 *
 * @example
 * try { await convo.send({ text }) } catch (e) {
 *   if (MessageBlockedError.isInstance(e)) showInline(e.details.reason)
 * }
 */
export class ParleyError<D extends Record<string, unknown> = Record<string, unknown>> extends Error {
  /** The stable code for this class. Subclasses override it. */
  static readonly code: string = 'parley_error'
  /** Default message when none is given. */
  static readonly defaultMessage: string = 'Parley error'

  readonly code: string
  readonly details: D
  readonly [MARKER]: Lineage

  constructor(message?: string, details?: D, options?: { cause?: unknown }) {
    const ctor = new.target as unknown as typeof ParleyError
    super(message ?? ctor.defaultMessage, options)
    this.name = ctor.name
    this.code = ctor.code
    this.details = (details ?? {}) as D
    this[MARKER] = lineageOf(ctor)
  }

  /**
   * True when `value` is an instance of this class (or a subclass), from any copy of the
   * package. `ParleyError.isInstance(e)` matches every Parley error.
   */
  static isInstance<T extends abstract new (...args: never[]) => ParleyError>(
    this: T,
    value: unknown,
  ): value is InstanceType<T> {
    if (value === null || typeof value !== 'object') return false
    const lineage = (value as { [MARKER]?: unknown })[MARKER]
    if (!Array.isArray(lineage)) return false
    const code = (this as unknown as { code: string }).code
    return lineage.includes(code)
  }

  /** True when `value` is a Parley error with exactly this `code`. */
  static is(value: unknown, code: string): value is ParleyError {
    return ParleyError.isInstance(value) && value.code === code
  }

  /** The wire form `{ code, message, details }`. */
  toWire(): WireError {
    return { code: this.code, message: this.message, details: { ...this.details } }
  }

  toJSON(): WireError {
    return this.toWire()
  }
}
