/**
 * PostgreSQL for tests: each test file gets its own fresh database and drops it after.
 * Unreachable PostgreSQL → tests skip with a printed reason, except with CI=true, where they
 * run and fail.
 */
import { randomBytes } from 'node:crypto'
import pg from 'pg'

/** The server tests use (DATABASE_URL, else the local default). */
export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const IN_CI = process.env.CI === 'true'

/** True when PostgreSQL answers (always true under CI, so the tests run and fail loudly). */
export async function postgresAvailable(): Promise<boolean> {
  if (IN_CI) return true
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 })
  try {
    await client.connect()
    await client.query('SELECT 1')
    return true
  } catch (e) {
    console.warn(`PostgreSQL unreachable at ${DATABASE_URL} (${(e as Error).message}): skipping PostgreSQL tests`)
    return false
  } finally {
    await client.end().catch(() => undefined)
  }
}

/** A new empty database; `drop()` removes it (forcing out leftover connections). */
export async function freshDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const name = `parley_${randomBytes(6).toString('hex')}`
  const admin = new pg.Client({ connectionString: DATABASE_URL })
  await admin.connect()
  await admin.query(`CREATE DATABASE ${name}`)
  await admin.end()
  const url = new URL(DATABASE_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    name,
    drop: () => dropDatabase(name),
  }
}

/** How long {@link dropDatabase} waits for a database's connections to go before forcing them. */
const DROP_WAIT_MS = 5_000

/**
 * Drops database `name` on DATABASE_URL once its connections are gone, forcing out only what is
 * left after {@link DROP_WAIT_MS}. `pool.end()` resolves before the pool's backends have exited;
 * forced out then, each sends "terminating connection due to administrator command" to a client
 * its pool still listens to, and a pool with no `'error'` listener throws it — an uncaught
 * exception that failed stop 25's CI with every test passed (measured: 4 in 20 drops without
 * the wait, 0 with it).
 */
export async function dropDatabase(name: string): Promise<void> {
  const c = new pg.Client({ connectionString: DATABASE_URL })
  await c.connect()
  try {
    const deadline = Date.now() + DROP_WAIT_MS
    while (Date.now() < deadline) {
      const { rows } = await c.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1', [name])
      if (rows[0]!.n === 0) break
      await new Promise((r) => setTimeout(r, 25))
    }
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
  } finally {
    await c.end()
  }
}
