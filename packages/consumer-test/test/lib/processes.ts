/**
 * Child processes for the consumer test: commands that must succeed (with their output in the
 * error when they do not), a long-running server we wait on, and progress lines with elapsed time.
 */
import { spawn, type ChildProcess } from 'node:child_process'

const started = Date.now()

/** One progress line; the whole consumer test takes minutes, so say what it is doing. */
export function progress(message: string): void {
  console.log(`[consumer +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`)
}

/** Variables `npm run` sets that describe the surrounding workspace run, not the machine. */
const WORKSPACE_RUN_VARS = /^(npm_package_|npm_lifecycle_|npm_command$|npm_execpath$|npm_node_execpath$|npm_config_(local_prefix|workspaces?|include_workspace_root)$|init_cwd$|vitest)/i

/**
 * The environment for commands run as a consumer would run them: without the variables of the
 * surrounding `npm test` (package, lifecycle, workspace prefix), which would make npm in the
 * scratch project act on this workspace. The machine's npm settings (registry, cache, global
 * npmrc with its CA file) are kept.
 */
export function consumerEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!WORKSPACE_RUN_VARS.test(k)) env[k] = v
  return { ...env, ...extra }
}

export interface Output { stdout: string; stderr: string }

/** Runs a command to completion; rejects with its output on a non-zero exit or a timeout. */
export function run(cmd: string, args: string[], opts: { cwd: string; timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<Output> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? consumerEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => { stdout += d })
    child.stderr.on('data', (d: Buffer) => { stderr += d })
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs)
    child.on('error', (e) => { clearTimeout(timer); reject(e) })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      if (code === 0) return resolve({ stdout, stderr })
      const why = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` (timeout ${opts.timeoutMs} ms?)` : ''}` : `exit ${code}`
      reject(new Error(`${cmd} ${args.join(' ')} (in ${opts.cwd}): ${why}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`))
    })
  })
}

export interface Server { child: ChildProcess; output: () => string }

/** Starts a long-running process and resolves once a line of its stdout matches `ready`. */
export function startServer(cmd: string, args: string[], opts: { cwd: string; ready: RegExp; timeoutMs: number }): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: consumerEnv(), stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    const output = () => out
    const fail = (why: string) => { clearTimeout(timer); child.kill('SIGKILL'); reject(new Error(`${args.join(' ')}: ${why}\n--- output\n${out}`)) }
    const timer = setTimeout(() => fail(`not ready within ${opts.timeoutMs} ms`), opts.timeoutMs)
    const onData = (d: Buffer) => {
      out += d
      if (opts.ready.test(out)) { clearTimeout(timer); resolve({ child, output }) }
    }
    child.stdout.on('data', onData)
    child.stderr.on('data', (d: Buffer) => { out += d })
    child.on('error', (e) => fail(e.message))
    child.on('exit', (code, signal) => fail(`exited (${signal ?? code}) before it was ready`))
  })
}

/** Sends `signal` and waits for the exit; resolves with the exit code, or null if it had to be killed. */
export function stop(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode)
  return new Promise((resolve) => {
    const timer = setTimeout(() => { child.kill('SIGKILL'); resolve(null) }, graceMs)
    child.once('exit', (code) => { clearTimeout(timer); resolve(code) })
    child.kill(signal)
  })
}
