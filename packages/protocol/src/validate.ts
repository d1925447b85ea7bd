/**
 * Validation at the edge. Any input, however hostile, yields either the typed frame or an
 * `InvalidFrameError` (`PayloadTooLargeError` when a size limit was the cause); nothing else
 * is ever thrown.
 */
import * as v from 'valibot'
import { checkBounds } from './bounds.js'
import { InvalidFrameError, PayloadTooLargeError } from './errors/index.js'
import { TOO_LARGE, UNIQUE_IDS } from './frames/common.js'
import { HAS_NUL, NOT_WELL_FORMED } from './unicode.js'
import { ACK_SCHEMAS, CLIENT_FRAME_SCHEMAS, SERVER_FRAME_SCHEMAS } from './schemas.js'
import type { ClientEventName, ServerEventName } from './events.js'

const MAX_REPORTED_ISSUES = 10

function fail(event: string, issues: readonly v.BaseIssue<unknown>[]): never {
  const list = issues.slice(0, MAX_REPORTED_ISSUES).map((i) => ({
    path: (v.getDotPath(i) ?? '') || '(root)',
    // Issue messages are ours (schema text) or valibot's, never the offending value.
    message: i.message === TOO_LARGE ? `exceeds limit ${String(i.requirement ?? '')}`
      : i.message === NOT_WELL_FORMED || i.message === HAS_NUL || i.message === UNIQUE_IDS ? i.message
      : i.expected ? `expected ${i.expected}` : i.kind,
  }))
  const tooLarge = issues.some((i) => i.message === TOO_LARGE)
  const Cls = tooLarge ? PayloadTooLargeError : InvalidFrameError
  throw new Cls(`invalid "${event}" frame: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { event, issues: list })
}

/**
 * Validates `input` against `schema`.
 * @throws {InvalidFrameError} (or its subclass {@link PayloadTooLargeError}) on any mismatch.
 */
export function parseWith<S extends v.GenericSchema>(schema: S, input: unknown, label = 'frame'): v.InferOutput<S> {
  // valibot's strict objects accept an array when every field is optional (an empty array has
  // no unknown keys); frames are never arrays.
  if (Array.isArray(input) && (schema as { type?: string }).type !== 'array') {
    throw new InvalidFrameError(`invalid "${label}" frame: (root): expected object`, {
      event: label, issues: [{ path: '(root)', message: 'expected object' }],
    })
  }
  let result: v.SafeParseResult<S>
  try {
    // The first issue ends validation: collecting one issue per bad item cost 1.4 s for a
    // `message.send` of 15,999 bad envelopes (decision 0010); one named issue is enough to answer.
    result = v.safeParse(schema, input, { abortEarly: true, abortPipeEarly: true })
  } catch {
    // Hostile getters or proxies can throw inside property access; treat as malformed.
    throw new InvalidFrameError(`invalid "${label}" frame: unreadable input`, { event: label, issues: [] })
  }
  if (!result.success) fail(label, result.issues)
  return result.output
}

function parseEvent(schemas: Record<string, v.GenericSchema>, event: string, input: unknown): unknown {
  const schema = Object.prototype.hasOwnProperty.call(schemas, event) ? schemas[event] : undefined
  if (!schema) throw new InvalidFrameError(`unknown event "${String(event).slice(0, 64)}"`, { event: String(event).slice(0, 64) })
  // Lengths first, so an oversized array is refused before any of its items is validated.
  checkBounds(schema, input, event)
  return parseWith(schema, input, event)
}

/**
 * Refuses a client → server frame whose strings or arrays exceed their limits, in time bounded
 * by the schema (not the input); the server runs it before anything else costs. Unknown
 * events pass (the full parse refuses them).
 * @throws {PayloadTooLargeError} naming the first field over its limit.
 */
export function checkClientFrameBounds(event: string, input: unknown): void {
  if (!Object.prototype.hasOwnProperty.call(CLIENT_FRAME_SCHEMAS, event)) return
  checkBounds(CLIENT_FRAME_SCHEMAS[event as ClientEventName], input, event)
}

/** Validates a client → server frame (server side of the edge). */
export function parseClientFrame<E extends ClientEventName>(
  event: E,
  input: unknown,
): v.InferOutput<(typeof CLIENT_FRAME_SCHEMAS)[E]> {
  return parseEvent(CLIENT_FRAME_SCHEMAS, event, input) as never
}

/** Validates a server → client frame (client side of the edge). */
export function parseServerFrame<E extends ServerEventName>(
  event: E,
  input: unknown,
): v.InferOutput<(typeof SERVER_FRAME_SCHEMAS)[E]> {
  return parseEvent(SERVER_FRAME_SCHEMAS, event, input) as never
}

/** Validates the data of a successful ack (client side). */
export function parseAck<E extends ClientEventName>(event: E, input: unknown): v.InferOutput<(typeof ACK_SCHEMAS)[E]> {
  return parseWith(ACK_SCHEMAS[event] as v.GenericSchema, input, `${event} ack`) as never
}
