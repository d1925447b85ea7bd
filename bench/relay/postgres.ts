/**
 * The PostgreSQL the benchmarks run against: `DATABASE_URL` when set, else a throwaway
 * PostgreSQL started for the run (initdb in a temp dir, a free local port, stock durability:
 * fsync and synchronous_commit on), else nothing — the PostgreSQL rows are then skipped.
 * A shared instance started for tests may run with fsync off; the bench does not use one
 * implicitly, so its figures always include a real WAL flush before every ack.
 */
import { spawnSync } from 'node:child_process'
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'

/** Where Debian's postgresql package puts the server binaries (as .ci/services.sh uses them). */
const PG_BIN_DIRS = ['/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin']
/** Room for 1,000 pairs of sockets is not needed (one pool per server), but the naive relay's pool and Parley's pools run side by side. */
const MAX_CONNECTIONS = 100
const START_TIMEOUT_S = 60

export interface BenchPostgres {
  /** An admin connection string (database `postgres`); scenarios create their own databases. */
  url: string
  /** How it was obtained, for the report. */
  origin: string
  /** `fsync`, `synchronous_commit` and the server version, as the server reports them. */
  settings: string
  /**
   * CPU time (ms, user + system) the server's processes used so far: the postmaster, every
   * backend alive and every backend it has reaped. Only for a server started for this run on
   * Linux — a shared `DATABASE_URL` server also works for others, so its CPU is not ours.
   */
  cpuMs?: () => number
  stop(): Promise<void>
}

/** Clock ticks per second of `/proc/<pid>/stat` times (USER_HZ: 100 on every Linux ABI). */
const USER_HZ = 100

/** `/proc/<pid>/stat` fields after the command name: [state, ppid, …]; undefined when gone. */
function statFields(pid: string): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return s.slice(s.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** CPU ms of `root` (with its reaped children) and of its live children, from /proc. */
function treeCpuMs(root: number): number {
  let ticks = 0
  const own = statFields(String(root))
  // utime, stime, cutime, cstime are fields 14–17 of stat, 12–15 after the name.
  if (own) ticks += Number(own[11]) + Number(own[12]) + Number(own[13]) + Number(own[14])
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    const f = statFields(pid)
    if (f && Number(f[1]) === root) ticks += Number(f[11]) + Number(f[12])
  }
  return (1000 * ticks) / USER_HZ
}

/** The postmaster's pid (first line of postmaster.pid), or undefined. */
function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 && existsSync(`/proc/${pid}/stat`) ? pid : undefined
  } catch {
    return undefined
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port
      s.close(() => resolve(port))
    })
  })
}

async function describe(url: string): Promise<string> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 })
  await c.connect()
  try {
    const v = (await c.query('SHOW server_version')).rows[0].server_version as string
    const f = (await c.query('SHOW fsync')).rows[0].fsync as string
    const s = (await c.query('SHOW synchronous_commit')).rows[0].synchronous_commit as string
    return `PostgreSQL ${v}, fsync ${f}, synchronous_commit ${s}`
  } finally {
    await c.end()
  }
}

/** Runs a command, as the `postgres` user when we are root (initdb refuses root). */
function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  const asRoot = process.getuid?.() === 0
  const r = asRoot ? spawnSync('runuser', ['-u', 'postgres', '--', cmd, ...args], { encoding: 'utf8' }) : spawnSync(cmd, args, { encoding: 'utf8' })
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` }
}

async function throwaway(): Promise<BenchPostgres | null> {
  const bin = PG_BIN_DIRS.find((d) => existsSync(join(d, 'initdb')))
  if (!bin) return null
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-pg-'))
  const cleanup = () => rmSync(dir, { recursive: true, force: true })
  if (process.getuid?.() === 0) {
    const ids = spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' })
    const gid = spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' })
    if (ids.status !== 0) return (cleanup(), null)
    chownSync(dir, Number(ids.stdout.trim()), Number(gid.stdout.trim()))
  }
  chmodSync(dir, 0o700)
  const data = join(dir, 'data')
  const init = run(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'])
  if (!init.ok) return (cleanup(), null)
  const port = await freePort()
  const opts = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c max_connections=${MAX_CONNECTIONS}`
  const start = run(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', String(START_TIMEOUT_S), '-o', opts, 'start'])
  if (!start.ok) return (cleanup(), null)
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  const pid = postmasterPid(data)
  return {
    url,
    ...(pid ? { cpuMs: () => treeCpuMs(pid) } : {}),
    origin: `throwaway server started for this run (127.0.0.1:${port}, stock settings)`,
    settings: await describe(url),
    async stop() {
      run(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop'])
      cleanup()
    },
  }
}

/** The bench's PostgreSQL, or null when none is configured and none can be started. */
export async function benchPostgres(): Promise<BenchPostgres | null> {
  const configured = process.env.DATABASE_URL
  if (configured) {
    try {
      return { url: configured, origin: 'DATABASE_URL', settings: await describe(configured), stop: async () => undefined }
    } catch {
      return null
    }
  }
  return throwaway()
}
