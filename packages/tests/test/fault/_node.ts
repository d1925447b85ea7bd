/**
 * Spawns `_node-child.ts` (a Parley node in its own process) and waits until it listens.
 * `kill('SIGKILL')` is a crash; `alive()` says whether the process is still running.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdirSync, rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import type { NodeConfig } from './_node-child.js'

/** How long a node may take to start. */
export const NODE_START_MS = 60_000
const CHILD = fileURLToPath(new URL('./_node-child.ts', import.meta.url))
/**
 * The child bundled once per test process (workspace packages from source, everything else
 * left to node_modules): compiling the server with tsx in every spawned node cost ~8 s per node
 * on a loaded 2-core machine, and the scenarios spawn a dozen.
 */
const BUNDLE_DIR = fileURLToPath(new URL('../../node_modules/.cache/parley-fault/', import.meta.url))
let bundled: Promise<string> | undefined

function childEntry(): Promise<string> {
  bundled ??= (async () => {
    mkdirSync(BUNDLE_DIR, { recursive: true })
    const outfile = `${BUNDLE_DIR}node-child-${process.pid}.mjs`
    await build({
      entryPoints: [CHILD], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent',
      conditions: ['@parley/source'],
      plugins: [{
        name: 'third-party-external',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (a) => (a.path.startsWith('@parley/') ? undefined : { path: a.path, external: true }))
        },
      }],
    })
    process.once('exit', () => rmSync(outfile, { force: true }))
    return outfile
  })()
  return bundled
}

export interface ParleyNode {
  url: string
  port: number
  process: ChildProcess
  exited: Promise<number | null>
  alive(): boolean
  /** The tail of the node's stderr (for failure messages). */
  stderr(): string
  kill(signal?: NodeJS.Signals): Promise<void>
  /** Sends a control message (`disk-full`, `disk-freed`) and resolves with the node's answer. */
  control(message: 'disk-full' | 'disk-freed'): Promise<{ full: boolean; failures: number }>
  /** RSS and heap used (bytes) after a forced GC in the node. */
  memory(): Promise<{ rss: number; heapUsed: number }>
}

export async function spawnNode(config: NodeConfig): Promise<ParleyNode> {
  const entry = await childEntry()
  const child = spawn(process.execPath, ['--expose-gc', entry, JSON.stringify(config)], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env },
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  let stderr = ''
  child.stderr!.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString()).slice(-8_000)
  })
  const alive = () => child.exitCode === null && child.signalCode === null
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`node did not start in ${NODE_START_MS} ms: ${stderr}`))
    }, NODE_START_MS)
    let out = ''
    child.stdout!.on('data', (b: Buffer) => {
      out += b.toString()
      const m = /PARLEY_READY (\d+)/.exec(out)
      if (!m) return
      clearTimeout(timer)
      const port = Number(m[1])
      resolve({
        url: `http://127.0.0.1:${port}`, port, process: child, exited, alive, stderr: () => stderr,
        control(message) {
          return new Promise((res) => {
            child.once('message', (m) => res(m as { full: boolean; failures: number }))
            child.send(message)
          })
        },
        memory() {
          return new Promise((res) => {
            child.once('message', (m) => res(m as { rss: number; heapUsed: number }))
            child.send('mem')
          })
        },
        async kill(signal = 'SIGTERM') {
          if (alive()) child.kill(signal)
          await exited
        },
      })
    })
    void exited.then((code) => {
      clearTimeout(timer)
      reject(new Error(`node exited (${code}) before ready: ${stderr}`))
    })
  })
}
