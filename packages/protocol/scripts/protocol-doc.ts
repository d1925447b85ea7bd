/**
 * Renders the generated part of docs/protocol.md from the code: every frame with its fields
 * and limits, the policy table, the limits and the error codes. `test/docs.test.ts` fails when
 * the doc and this output differ; `npm run docs -w @parley/protocol` rewrites the doc.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import {
  ACK_SCHEMAS, BASE64_PATTERN, CLIENT_FRAME_SCHEMAS, ERROR_CLASSES, HAS_NUL, NOT_WELL_FORMED, UNIQUE_IDS, POLICY_TABLE, PROTOCOL_LIMITS, SERVER_FRAME_SCHEMAS,
} from '../src/index.js'

type Node = {
  type: string
  entries?: Record<string, Node>
  item?: Node
  wrapped?: Node
  options?: (Node | string)[]
  literal?: unknown
  key?: Node
  value?: Node
  pipe?: { type: string; requirement?: unknown; kind?: string }[]
}

export const START = '<!-- generated:start (packages/protocol/scripts/protocol-doc.ts) -->'
export const END = '<!-- generated:end -->'

function constraints(node: Node): string {
  const parts: string[] = []
  for (const action of node.pipe ?? []) {
    const r = action.requirement
    switch (action.type) {
      case 'max_length': parts.push(`≤ ${String(r)}`); break
      case 'min_length': if (r) parts.push(`≥ ${String(r)}`); break
      case 'length': parts.push(`= ${String(r)}`); break
      case 'max_value': if (r !== Number.MAX_SAFE_INTEGER) parts.push(`≤ ${String(r)}`); break
      case 'min_value': parts.push(`≥ ${String(r)}`); break
      case 'integer': parts.push('integer'); break
      case 'check': {
        const message = (action as { message?: unknown }).message
        if (message === NOT_WELL_FORMED) parts.push('well-formed Unicode')
        else if (message === HAS_NUL) parts.push('no NUL')
        else if (message === UNIQUE_IDS) parts.push('unique ids')
        break
      }
      case 'regex': parts.push(String(r) === String(BASE64_PATTERN) ? 'canonical base64' : `\`${String(r)}\``); break
    }
  }
  return parts.join(', ')
}

function typeName(node: Node): string {
  const base = node.pipe?.[0] && (node as unknown as { pipe: Node[] }).pipe[0]!.type ? (node.pipe[0] as unknown as Node) : node
  switch (base.type) {
    case 'optional': return typeName(base.wrapped!)
    case 'array': return `${typeName(base.item!)}[]`
    case 'strict_object': return 'object'
    case 'picklist': return (base.options as string[]).map((o) => `"${o}"`).join(' \\| ')
    case 'literal': return `"${String(base.literal)}"`
    case 'variant': return 'one of'
    case 'record': return 'record'
    default: return base.type
  }
}

function rows(node: Node, prefix: string, out: string[]): void {
  const base = (node.pipe?.[0] as unknown as Node | undefined)?.type ? (node.pipe![0] as unknown as Node) : node
  if (base.type === 'optional') return rows(base.wrapped!, prefix, out)
  if (base.type === 'array' && base.item) {
    const item = (base.item.pipe?.[0] as unknown as Node | undefined)?.type ? (base.item.pipe![0] as unknown as Node) : base.item
    if (item.type === 'strict_object') rows(base.item, `${prefix}[]`, out)
    return
  }
  if (base.type === 'variant') {
    // One block per option, each complete: a field shared by several options is listed in each.
    const key = String(base.key)
    for (const option of base.options as Node[]) {
      const tag = option.entries?.[key]
      out.push(`| *when \`${prefix ? `${prefix}.` : ''}${key}\` is ${tag ? typeName(tag) : '…'}:* | | | |`)
      const block: string[] = []
      rows(option, prefix, block)
      out.push(...block)
    }
    return
  }
  if (base.type !== 'strict_object' || !base.entries) return
  for (const [key, child] of Object.entries(base.entries)) {
    const path = prefix ? `${prefix}.${key}` : key
    const optional = child.type === 'optional'
    const inner = optional ? child.wrapped! : child
    const line = `| \`${path}\` | ${typeName(inner)} | ${optional ? 'no' : 'yes'} | ${constraints(inner) || ''} |`
    if (!out.includes(line)) out.push(line)
    rows(inner, path, out)
  }
}

function frameSection(title: string, schemas: Record<string, unknown>, acks?: Record<string, unknown>): string {
  const parts = [`### ${title}\n`]
  for (const [event, schema] of Object.entries(schemas)) {
    parts.push(`#### \`${event}\`\n`)
    const out: string[] = []
    rows(schema as Node, '', out)
    parts.push(out.length ? ['| field | type | required | limits |', '| --- | --- | --- | --- |', ...out].join('\n') : '_No fields._')
    if (acks && acks[event]) {
      const ack: string[] = []
      rows(acks[event] as Node, '', ack)
      parts.push(`\nAck \`data\`:\n\n${ack.length ? ['| field | type | required | limits |', '| --- | --- | --- | --- |', ...ack].join('\n') : '_none_'}`)
    }
    parts.push('')
  }
  return parts.join('\n')
}

/** The generated Markdown, deterministic. */
export function renderProtocolTables(): string {
  const policy = [
    '| policy | new conversations | user may upgrade | existing server-side upgraded on next send | server reads content |',
    '| --- | --- | --- | --- | --- |',
    ...Object.entries(POLICY_TABLE).map(([p, r]) =>
      `| \`${p}\` | ${r.initialMode} | ${r.userMayUpgrade ? 'yes' : 'no'} | ${r.upgradeOnNextSend ? 'yes' : 'no'} | ${r.serverReadsContent} |`),
  ].join('\n')
  const limits = ['| limit | value |', '| --- | --- |', ...Object.entries(PROTOCOL_LIMITS).map(([k, v]) => `| \`${k}\` | ${v} |`)].join('\n')
  const errors = [
    '| Code | Class | Description | How to solve |',
    '| --- | --- | --- | --- |',
    ...ERROR_CLASSES.map(({ cls, description, solve }) =>
      `| \`${(cls as unknown as { code: string }).code}\` | \`${cls.name}\` | ${description} | ${solve} |`),
  ].join('\n')
  return [
    START,
    '',
    '## Policy table',
    '',
    policy,
    '',
    '## Limits',
    '',
    limits,
    '',
    '## Frames',
    '',
    frameSection('Client → server (each with an ack)', CLIENT_FRAME_SCHEMAS, ACK_SCHEMAS),
    frameSection('Server → client', SERVER_FRAME_SCHEMAS),
    '## Error codes',
    '',
    errors,
    '',
    END,
  ].join('\n')
}

export const DOC_PATH = fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url))

/** Replaces the generated block of docs/protocol.md. */
export function writeProtocolDoc(): void {
  const doc = readFileSync(DOC_PATH, 'utf8')
  const start = doc.indexOf(START)
  const end = doc.indexOf(END)
  if (start < 0 || end < 0) throw new Error('docs/protocol.md lacks the generated markers')
  writeFileSync(DOC_PATH, doc.slice(0, start) + renderProtocolTables() + doc.slice(end + END.length))
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) writeProtocolDoc()
