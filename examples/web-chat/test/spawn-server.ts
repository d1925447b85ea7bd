/**
 * Test helper: starts the web chat exactly as `npm start` does (`node --import tsx
 * --conditions=@parley/source src/server.ts`) in a child process with `PORT=0` and a fresh data
 * directory, and reads the URL from the line it prints once listening. One process, no `tsx`
 * CLI in front: the CLI relays SIGTERM only if the child confirms it within 30 ms and SIGKILLs
 * it otherwise, which a loaded machine misses (exit 143 instead of a graceful 0).
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))
const LISTENING = /Parley web chat \(([a-z0-9-]+)\) listening on (http:\/\/localhost:\d+)/

/**
 * How long the server may take to print its URL, ms: PGlite's first start runs initdb and the
 * UI is bundled, which takes minutes on a loaded 2-core machine.
 */
export const START_TIMEOUT_MS = 180_000

export interface RunningServer {
  url: string
  policy: string
  dataDir: string
  /** The operator token the server was started with (random per spawn). */
  operatorToken: string
  /** Everything the process printed so far. */
  output(): string
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>
}

/** Spawns the server; rejects (with its output) if it exits or stays silent too long. */
export async function spawnServer(opts: { policy?: string; args?: string[]; dataDir?: string } = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-web-chat-')))
  const operatorToken = randomBytes(24).toString('base64url')
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARLEY_DATA_DIR: dataDir, PARLEY_OPERATOR_TOKEN: operatorToken }
  delete env.PARLEY_POLICY
  if (opts.policy) env.PARLEY_POLICY = opts.policy
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', '--conditions=@parley/source', 'src/server.ts', ...(opts.args ?? [])], {
    cwd: EXAMPLE_DIR,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()))
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))

  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`web chat did not print its URL within ${START_TIMEOUT_MS} ms:\n${out}`))
    }, START_TIMEOUT_MS)
    const check = () => {
      const m = out.match(LISTENING)
      if (m) {
        clearTimeout(timer)
        resolve(m)
      }
    }
    child.stdout!.on('data', check)
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`web chat exited with ${code} before listening:\n${out}`))
    })
  })

  return {
    url: match[2]!,
    policy: match[1]!,
    dataDir,
    operatorToken,
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const code = await exited
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true })
      return code
    },
  }
}
