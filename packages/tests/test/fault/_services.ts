/**
 * Throwaway PostgreSQL and Redis processes for the fault scenarios. Each test file starts its
 * own on free loopback ports (never the shared DATABASE_URL / REDIS_URL servers other test
 * files use, since vitest runs files in parallel and these get stopped and restarted).
 * PostgreSQL refuses to run as root: under root the cluster runs as the `postgres` OS user
 * (as `.ci/services.sh` does). Missing binaries → the scenario skips with a printed reason,
 * except with CI=true, where it runs and fails.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { createClient } from 'redis'
import { afterAll, beforeAll } from 'vitest'

const IN_CI = process.env.CI === 'true'
/** How long a throwaway service may take to start. */
export const SERVICE_START_MS = 30_000

/** A free loopback TCP port (bound then released). */
export async function freePort(): Promise<number> {
  const srv = createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as { port: number }).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

function findPgBin(): string | undefined {
  if (spawnSync('initdb', ['--version']).status === 0) {
    const which = spawnSync('sh', ['-c', 'dirname "$(readlink -f "$(command -v initdb)")"']).stdout.toString().trim()
    if (which) return which
  }
  const base = '/usr/lib/postgresql'
  if (!existsSync(base)) return undefined
  const versions = readdirSync(base).sort((a, b) => Number(b) - Number(a))
  for (const v of versions) if (existsSync(join(base, v, 'bin', 'initdb'))) return join(base, v, 'bin')
  return undefined
}

const asRoot = process.getuid?.() === 0
/** Runs a PostgreSQL binary as the current user, or as `postgres` under root. */
function pgArgv(bin: string, args: string[]): [string, string[]] {
  return asRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args]
}

/** Why throwaway PostgreSQL cannot run here (undefined when it can). */
export function postgresUnavailable(): string | undefined {
  const bin = findPgBin()
  if (!bin) return 'PostgreSQL binaries (initdb, pg_ctl) not found'
  if (asRoot && spawnSync('id', ['postgres']).status !== 0) return 'running as root and no `postgres` OS user to run PostgreSQL as'
  return undefined
}

/** Why throwaway Redis cannot run here (undefined when it can). */
export function redisUnavailable(): string | undefined {
  return spawnSync('redis-server', ['--version']).status === 0 ? undefined : 'redis-server not found'
}

/**
 * Whether a scenario needing `what` runs: false (with the reason printed) when a service is
 * missing locally; under CI=true always true, so the scenario runs and fails loudly.
 */
export function servicesUp(label: string, ...reasons: (string | undefined)[]): boolean {
  const missing = reasons.filter(Boolean)
  if (missing.length === 0 || IN_CI) return true
  console.warn(`fault scenario "${label}" skipped: ${missing.join('; ')}`)
  return false
}

export interface ThrowawayPostgres {
  /** Connection string of the `postgres` database (create per-scenario databases from it). */
  url: string
  port: number
  /** A new empty database's connection string. */
  createDatabase(): Promise<string>
  /** Stops the server at once (`-m immediate`: a crash, as a killed host would). */
  stop(): Promise<void>
  start(): Promise<void>
  /** Whether the postmaster answers a query now. */
  alive(): Promise<boolean>
  destroy(): Promise<void>
}

function run(cmd: [string, string[]], what: string): void {
  const r = spawnSync(cmd[0], cmd[1], { encoding: 'utf8', timeout: SERVICE_START_MS })
  if (r.status !== 0) throw new Error(`${what} failed (${r.status}): ${r.stderr || r.stdout}`)
}

/**
 * initdb + pg_ctl start on a free port, sockets in the data dir. `fsync=off` (the host does
 * not crash here, only the postmaster), but `synchronous_commit` stays on: with it off, an
 * immediate stop loses commits PostgreSQL already acknowledged, and so would Parley's acks.
 */
export async function startPostgres(): Promise<ThrowawayPostgres> {
  const bin = findPgBin()
  if (!bin) throw new Error('PostgreSQL binaries not found')
  const dir = mkdtempSync(join(tmpdir(), 'parley-fault-pg-'))
  const data = join(dir, 'data')
  if (asRoot) {
    chownSync(dir, Number(spawnSync('id', ['-u', 'postgres']).stdout), Number(spawnSync('id', ['-g', 'postgres']).stdout))
    chmodSync(dir, 0o700)
  }
  run(pgArgv(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync']), 'initdb')
  let port = 0
  const opts = () => `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c max_connections=200 -c fsync=off -c full_page_writes=off`
  const start = async () => {
    run(pgArgv(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '30', '-o', opts(), 'start']), 'pg_ctl start')
  }
  const stop = async () => {
    run(pgArgv(join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']), 'pg_ctl stop')
  }
  // Another file may take the free port between the probe and the start: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    try {
      await start()
      break
    } catch (e) {
      if (attempt >= 3) throw e
    }
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let n = 0
  return {
    url, port, start, stop,
    async createDatabase() {
      const name = `fault_${process.pid}_${++n}`
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      await c.query(`CREATE DATABASE ${name}`)
      await c.end()
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
    async alive() {
      const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
      c.on('error', () => undefined)
      try {
        await c.connect()
        await c.query('SELECT 1')
        return true
      } catch {
        return false
      } finally {
        await c.end().catch(() => undefined)
      }
    },
    async destroy() {
      await stop().catch(() => undefined)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export interface ThrowawayRedis {
  url: string
  port: number
  /** SIGKILLs the server (no persistence: it comes back empty). */
  stop(): Promise<void>
  /** Starts it again on the same port. */
  start(): Promise<void>
  alive(): Promise<boolean>
  destroy(): Promise<void>
}

/** `redis-server --save '' --appendonly no` on a free port. */
export async function startRedis(): Promise<ThrowawayRedis> {
  let port = await freePort()
  let url = `redis://127.0.0.1:${port}`
  let proc: ChildProcess | undefined
  // Alive means: the redis-server this helper started answers on the port (not another one).
  const alive = async () => {
    const c = createClient({ url, socket: { connectTimeout: 1_000, reconnectStrategy: false } })
    c.on('error', () => undefined)
    try {
      await c.connect()
      return (await c.info('server')).includes(`process_id:${proc?.pid}\r\n`)
    } catch {
      return false
    } finally {
      await c.quit().catch(() => c.destroy())
    }
  }
  const start = async () => {
    proc = spawn('redis-server', ['--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--dir', tmpdir()], { stdio: 'ignore' })
    const t0 = Date.now()
    while (!(await alive())) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited (${proc.exitCode}): port ${port} taken?`)
      if (Date.now() - t0 > SERVICE_START_MS) throw new Error('redis-server did not start')
      await new Promise((r) => setTimeout(r, 50))
    }
  }
  const stop = async () => {
    const p = proc
    if (!p || p.exitCode !== null || p.signalCode !== null) return
    const exited = new Promise((r) => p.once('exit', r))
    p.kill('SIGKILL')
    await exited
  }
  // Another file may take the free port between the probe and the start: try a few.
  for (let attempt = 1; ; attempt++) {
    try {
      await start()
      break
    } catch (e) {
      await stop()
      if (attempt >= 3) throw e
      port = await freePort()
      url = `redis://127.0.0.1:${port}`
    }
  }
  return { url, port, start, stop, alive, destroy: stop }
}

/** A test file's own services, filled in before its tests run. */
export interface FileServices {
  postgres: ThrowawayPostgres
  /** Only when asked for (`{ redis: true }`). */
  redis: ThrowawayRedis
}

/**
 * Starts this test file's throwaway PostgreSQL (and Redis when asked) before its tests and
 * destroys them after: registers the vitest hooks, so call it inside the `describe`.
 */
export function throwawayServices(opts: { redis?: boolean } = {}): FileServices {
  const services = {} as FileServices
  beforeAll(async () => {
    services.postgres = await startPostgres()
    if (opts.redis) services.redis = await startRedis()
  }, 60_000)
  afterAll(async () => {
    await services.postgres?.destroy()
    await services.redis?.destroy()
  })
  return services
}
