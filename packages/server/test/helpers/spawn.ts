/**
 * Spawns `server-child.ts` in a separate Node process (resolving workspace packages to source)
 * and waits for it to listen. `kill('SIGKILL')` simulates a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { ChildConfig } from './server-child.js'

/** How long a child may take to start (PGlite opens a data dir in ~0.5 s; tsx compiles first). */
export const CHILD_START_MS = 60_000

export interface ServerChild {
  url: string
  port: number
  process: ChildProcess
  /** Resolves when the process has exited. */
  exited: Promise<number | null>
  kill(signal?: NodeJS.Signals): Promise<void>
}

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url))

/** Starts a server child process with `config`. */
export function spawnServer(config: ChildConfig): Promise<ServerChild> {
  const child = spawn(process.execPath, ['--conditions=@parley/source', '--import', 'tsx', CHILD, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env },
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-4_000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`server child did not start in ${CHILD_START_MS} ms: ${stderr}`))
    }, CHILD_START_MS)
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /PARLEY_READY (\d+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      const port = Number(m[1])
      resolve({
        url: `http://127.0.0.1:${port}`, port, process: child, exited,
        async kill(signal = 'SIGTERM') {
          if (child.exitCode === null && child.signalCode === null) child.kill(signal)
          await exited
        },
      })
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`server child exited (${code}) before ready: ${stderr}`))
    })
  })
}
