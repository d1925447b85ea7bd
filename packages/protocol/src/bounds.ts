/**
 * Cheap bounds before validation. valibot validates an array's items before the array's
 * `maxLength` (a pipe runs its schema first), so a 1 MB frame of 330,000 empty envelopes cost
 * seconds to refuse. This walk reads the schema's own limits and refuses any string or array
 * longer than its maximum before a single item is validated. It visits only fields the schema
 * declares and descends into an array only once its length is within bounds, so its cost is
 * bounded by the schema (the product of its array maxima), never by the input: at most a few
 * thousand steps for the largest frame (a full `report.submit`).
 */
import type * as v from 'valibot'
import { InvalidFrameError, PayloadTooLargeError } from './errors/index.js'

/** The parts of a valibot schema the walk reads (a pipe spreads its first schema's fields). */
interface SchemaNode {
  type: string
  entries?: Record<string, SchemaNode>
  item?: SchemaNode
  wrapped?: SchemaNode
  key?: string
  options?: readonly SchemaNode[]
  literal?: unknown
  pipe?: readonly { type: string; requirement?: unknown }[]
}

/** A limit found too small for the input. */
interface Exceeded {
  path: string
  limit: number
}

function maxLengthOf(node: SchemaNode): number | undefined {
  for (const action of node.pipe ?? []) if (action.type === 'max_length') return action.requirement as number
  return undefined
}

/** The option of a `variant` whose discriminator literal the input carries, if any. */
function variantOption(node: SchemaNode, value: Record<string, unknown>): SchemaNode | undefined {
  const discriminator = node.key!
  if (!Object.prototype.hasOwnProperty.call(value, discriminator)) return undefined
  const tag = value[discriminator]
  return node.options?.find((o) => o.entries?.[discriminator]?.literal === tag)
}

function walk(node: SchemaNode, value: unknown, path: string): Exceeded | undefined {
  if (node.type === 'optional') return value === undefined ? undefined : walk(node.wrapped!, value, path)
  const max = maxLengthOf(node)
  if (typeof value === 'string') return max !== undefined && value.length > max ? { path, limit: max } : undefined
  if (Array.isArray(value)) {
    if (max !== undefined && value.length > max) return { path, limit: max }
    if (node.type !== 'array' || !node.item) return undefined
    for (let i = 0; i < value.length; i++) {
      const hit = walk(node.item, value[i], `${path}.${i}`)
      if (hit) return hit
    }
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  const object = value as Record<string, unknown>
  const shape = node.type === 'variant' ? variantOption(node, object) : node
  if (!shape?.entries) return undefined
  for (const key of Object.keys(shape.entries)) {
    if (!Object.prototype.hasOwnProperty.call(object, key)) continue
    const hit = walk(shape.entries[key]!, object[key], path ? `${path}.${key}` : key)
    if (hit) return hit
  }
  return undefined
}

/**
 * Refuses `input` when any string or array in it is longer than `schema` allows, without
 * validating anything else. Everything it lets through still needs full validation.
 * @throws {PayloadTooLargeError} naming the first field over its limit.
 * @throws {InvalidFrameError} when the input cannot be read (a hostile getter or proxy).
 * @example checkBounds(ReceiptSendSchema, { messageIds: Array(520_000).fill(0) }, 'receipt.send') // throws at once
 */
export function checkBounds(schema: v.GenericSchema, input: unknown, label = 'frame'): void {
  let hit: Exceeded | undefined
  try {
    hit = walk(schema as unknown as SchemaNode, input, '')
  } catch {
    throw new InvalidFrameError(`invalid "${label}" frame: unreadable input`, { event: label, issues: [] })
  }
  if (!hit) return
  const issue = { path: hit.path || '(root)', message: `exceeds limit ${hit.limit}` }
  throw new PayloadTooLargeError(`invalid "${label}" frame: ${issue.path}: ${issue.message}`, { event: label, issues: [issue] })
}
