/**
 * Test helper: starts the web chat exactly as `npm start` does (`tsx --conditions=@parley/source
 * src/server.ts`) in a child process with `PORT=0` and a fresh data directory, and reads the
 * URL from the line it prints once listening.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const EXAMPLE_DIR = fileURLToPath(new URL('..', import.meta.url))
const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url))
const LISTENING = /Parley web chat \(([a-z0-9-]+)\) listening on (http:\/\/localhost:\d+)/

/** How long the server may take to print its URL (PGlite's first start runs initdb), ms. */
export const START_TIMEOUT_MS = 90_000

export interface RunningServer {
  url: string
  policy: string
  dataDir: string
  /** Everything the process printed so far. */
  output(): string
  /** Sends SIGTERM and resolves with the exit code. */
  stop(): Promise<number | null>
}

/** Spawns the server; rejects (with its output) if it exits or stays silent too long. */
export async function spawnServer(opts: { policy?: string; args?: string[]; dataDir?: string } = {}): Promise<RunningServer> {
  const dataDir = opts.dataDir ?? (await mkdtemp(join(tmpdir(), 'parley-web-chat-')))
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PARLEY_DATA_DIR: dataDir }
  delete env.PARLEY_POLICY
  if (opts.policy) env.PARLEY_POLICY = opts.policy
  const child: ChildProcess = spawn(TSX, ['--conditions=@parley/source', 'src/server.ts', ...(opts.args ?? [])], {
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
    output: () => out,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const code = await exited
      if (!opts.dataDir) await rm(dataDir, { recursive: true, force: true })
      return code
    },
  }
}
