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
    async drop() {
      const c = new pg.Client({ connectionString: DATABASE_URL })
      await c.connect()
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      await c.end()
    },
  }
}
