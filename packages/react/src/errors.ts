/**
 * How hooks hold errors: the client's typed errors (`ParleyError` subclasses with a stable
 * `code`, plus `TypeError` / `RangeError` for bad input) are kept as they are, so an app can
 * branch on `ParleyError.is(error, 'message_blocked')`; anything else is wrapped, never dropped.
 */
import { ConnectionError, ParleyError } from '@parley/protocol'

/** An error a hook exposes: a `ParleyError` (see docs/errors.md), a `TypeError` or a `RangeError`. */
export type HookError = ParleyError | TypeError | RangeError

/** Keeps typed errors; wraps anything else in a `ConnectionError` carrying its message. */
export function asHookError(e: unknown): HookError {
  if (ParleyError.isInstance(e) || e instanceof TypeError || e instanceof RangeError) return e
  return new ConnectionError(e instanceof Error ? e.message : String(e))
}
