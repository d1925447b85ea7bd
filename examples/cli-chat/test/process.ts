/**
 * Test helper: a child process whose output is read line by line, with `waitFor(pattern)` and
 * `write(line)` to drive it like a person at a terminal.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url))
export const WEB_CHAT_DIR = fileURLToPath(new URL('../../web-chat', import.meta.url))
export const CLI_DIR = fileURLToPath(new URL('..', import.meta.url))

export interface Proc {
  output(): string
  /** Resolves with the first match of `pattern` in the output after `from` (default: anywhere). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>
  write(line: string): void
  /** Closes stdin (if open) and resolves with the exit code. */
  exit(signal?: NodeJS.Signals): Promise<number | null>
}

export function run(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; name: string }): Proc {
  const child: ChildProcess = spawn(TSX, ['--conditions=@parley/source', ...args], {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let out = ''
  const waiters = new Set<() => void>()
  const onData = (d: Buffer) => {
    out += d.toString()
    for (const w of waiters) w()
  }
  child.stdout!.on('data', onData)
  child.stderr!.on('data', onData)
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    for (const w of waiters) w()
    resolve(code)
  }))
  return {
    output: () => out,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = out.match(pattern)
          if (m) {
            waiters.delete(check)
            clearTimeout(timer)
            resolve(m)
          } else if (child.exitCode !== null) {
            waiters.delete(check)
            clearTimeout(timer)
            reject(new Error(`${opts.name} exited (${child.exitCode}) before printing ${pattern}:\n${out}`))
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`${opts.name} did not print ${pattern} within ${timeoutMs} ms:\n${out}`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    write(line) {
      child.stdin!.write(`${line}\n`)
    },
    async exit(signal) {
      if (child.exitCode === null) {
        if (signal) child.kill(signal)
        else child.stdin!.end()
      }
      return exited
    },
  }
}
