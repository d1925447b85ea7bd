/**
 * The code a newcomer copies from docs/getting-started.md, taken from the doc itself so the doc
 * and this test cannot drift: the server block, the two-clients block and the install command.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { repoRoot } from './packages.js'

/** The port the guide's code listens on and connects to; the test swaps in a free one. */
const GUIDE_PORT = /\b3000\b/g

const guide = () => readFileSync(join(repoRoot, 'docs/getting-started.md'), 'utf8')

function runnableBlocks(text: string): string[] {
  return [...text.matchAll(/^```(?:ts|typescript)\s+runnable[^\n]*\n([\s\S]*?)^```/gm)].map((m) => m[1]!)
}

function withPort(code: string, port: number, what: string): string {
  if (!code.match(GUIDE_PORT)) throw new Error(`getting-started ${what} block no longer mentions port 3000; update the consumer test`)
  return code.replace(GUIDE_PORT, String(port))
}

/** The server block (`createParleyServer`) and the clients block (`memoryKeyStore()`), on `port`. */
export function gettingStartedCode(port: number): { server: string; clients: string } {
  const blocks = runnableBlocks(guide())
  const server = blocks.find((b) => b.includes('createParleyServer('))
  const clients = blocks.find((b) => b.includes('createParleyClient(') && b.includes('memoryKeyStore()'))
  if (!server || !clients) throw new Error('docs/getting-started.md: server or two-clients `ts runnable` block not found')
  return { server: withPort(server, port, 'server'), clients: withPort(clients, port, 'clients') }
}

/** Package names in the guide's `npm install @parley/…` line. */
export function guideInstallNames(): string[] {
  const cmd = guide().split('\n').find((l) => /^npm install @parley\//.test(l))
  if (!cmd) throw new Error('docs/getting-started.md has no `npm install @parley/…` line')
  return cmd.split(/\s+/).filter((w) => w.startsWith('@parley/'))
}

/**
 * The same code as a CommonJS module. CommonJS has no top-level await, so the imports stay at
 * the top (one line each, as the guide writes them) and everything else runs inside an async
 * main(); nothing else changes.
 */
export function asCommonJs(code: string): string {
  const lines = code.split('\n')
  const imports = lines.filter((l) => /^import\s/.test(l))
  const body = lines.filter((l) => !/^import\s/.test(l))
  return [
    ...imports,
    '',
    'async function main(): Promise<void> {',
    ...body.map((l) => (l ? `  ${l}` : l)),
    '}',
    '',
    'main().catch((e: unknown) => {',
    '  console.error(e)',
    '  process.exit(1)',
    '})',
    '',
  ].join('\n')
}
