/**
 * Node budgets: the most JSON structural characters (`{`, `[` and `,` outside strings) a valid
 * frame of each client event can hold, read from the event's schema. `JSON.parse` costs about
 * as much per node as per byte of string, so a 1 MB packet of 330,000 `{}` costs socket.io
 * 110–335 ms to parse on a loaded machine before any Parley check can run (decision 0010);
 * the frame decoder (`frame-decoder.ts`) counts a packet's nodes first and refuses one over its
 * event's budget without parsing it.
 *
 * The walk reads the same public schema fields as `checkBounds` (`type`, `entries`, `item`,
 * `wrapped`, `options`, a pipe's `max_length`). Every schema of a client frame is a strict
 * object of bounded arrays, so the budget is an exact upper bound on a valid frame: a frame
 * over it is invalid whatever it holds.
 */
import { CLIENT_FRAME_SCHEMAS, type ClientEventName } from '@parley/protocol'

/** The schema fields the walk reads. */
interface SchemaNode {
  type: string
  entries?: Record<string, SchemaNode>
  item?: SchemaNode
  wrapped?: SchemaNode
  options?: readonly SchemaNode[]
  pipe?: readonly { type: string; requirement?: unknown }[]
}

/** Schema types whose JSON holds no structural character outside a string. */
const SCALARS = new Set(['string', 'number', 'boolean', 'literal', 'picklist', 'null'])

/**
 * Nodes of socket.io's event packet around the frame: `["event",frame]` (one `[`, one `,`).
 * The ack id sits in the packet header, outside the JSON.
 */
export const EVENT_PACKET_NODES = 2

/**
 * The least budget of any event: a small frame costs nothing to parse, and the schema then
 * says which field is wrong (`invalid_frame`) where a node count could only say "too large".
 */
export const NODE_BUDGET_FLOOR = 256

/**
 * Budget of an event the server does not know, and of packets that are not events (a
 * connect's auth object): its frame is refused in any case, so it is given only room to
 * say so.
 */
export const UNKNOWN_EVENT_NODE_BUDGET = NODE_BUDGET_FLOOR

/** Schema types that wrap another and add at most a scalar (`null`). */
const WRAPPERS = new Set(['optional', 'exact_optional', 'nullable', 'nullish', 'undefinedable'])

/**
 * The most structural characters a JSON value valid under `schema` can hold (Infinity when
 * the schema has an array without a maximum or a type the walk does not know).
 * @example maxJsonNodes(v.strictObject({ ids: v.pipe(v.array(v.number()), v.maxLength(100)) })) // 1 + 1 + 1 + 100 × 1
 */
export function maxJsonNodes(schema: unknown): number {
  const node = schema as SchemaNode
  // A wrapper adds no structure: `null` is a scalar.
  if (WRAPPERS.has(node.type)) return maxJsonNodes(node.wrapped)
  if (SCALARS.has(node.type)) return 0
  if (node.type === 'strict_object' || node.type === 'object') {
    // `{`, then a `,` before each entry but the first (counted for all: an upper bound).
    let n = 1
    for (const entry of Object.values(node.entries ?? {})) n += 1 + maxJsonNodes(entry)
    return n
  }
  if (node.type === 'array') {
    const max = node.pipe?.find((a) => a.type === 'max_length')?.requirement
    if (typeof max !== 'number') return Infinity
    return 1 + max * (1 + maxJsonNodes(node.item))
  }
  if (node.type === 'variant' || node.type === 'union') return Math.max(0, ...(node.options ?? []).map(maxJsonNodes))
  return Infinity
}

/** Each client event's node budget: its schema's maximum (at least {@link NODE_BUDGET_FLOOR}) plus the event packet around it. */
export const CLIENT_FRAME_NODE_BUDGETS: Readonly<Record<ClientEventName, number>> = Object.freeze(
  Object.fromEntries(
    Object.entries(CLIENT_FRAME_SCHEMAS).map(([event, schema]) => [event, EVENT_PACKET_NODES + Math.max(NODE_BUDGET_FLOOR, maxJsonNodes(schema))]),
  ) as Record<ClientEventName, number>,
)

/** The node budget of a packet for `event` (unknown events get {@link UNKNOWN_EVENT_NODE_BUDGET}). */
export function nodeBudgetOf(event: string): number {
  return Object.prototype.hasOwnProperty.call(CLIENT_FRAME_NODE_BUDGETS, event)
    ? CLIENT_FRAME_NODE_BUDGETS[event as ClientEventName]
    : UNKNOWN_EVENT_NODE_BUDGET
}
