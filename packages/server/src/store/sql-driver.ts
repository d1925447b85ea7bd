/**
 * The seam between the SQL store and a database client: PGlite and node-postgres each
 * implement `SqlDriver`, and `sqlStore` runs the same SQL on both. Parameters are `$n`;
 * lists and records travel as one JSON parameter (`jsonb_to_recordset`), which both accept.
 */
import { MIGRATIONS, MIGRATION_LOCK_KEY } from './migrations.js'

/** How a statement runs. */
export interface QueryOptions {
  /**
   * Prepare the statement once per connection under this name and reuse it (PostgreSQL; PGlite
   * ignores it). Only for fixed statement text run on the hot path.
   */
  name?: string
  /** The statement writes (PGlite then syncs its WAL before resolving, when durable). */
  write?: boolean
}

/** Runs one statement. */
export interface SqlExecutor {
  query<R = Record<string, unknown>>(sql: string, params?: unknown[], options?: QueryOptions): Promise<R[]>
}

/** A database connection (pool) the SQL store runs on. */
export interface SqlDriver extends SqlExecutor {
  readonly kind: 'pglite' | 'postgres'
  /**
   * Runs `fn` in one transaction (BEGIN … COMMIT), rolling back when it throws. Retries the
   * whole function on deadlock or serialization failure, and on the SQLSTATEs in `retryOn`.
   */
  transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, retryOn?: readonly string[]): Promise<T>
  /** Runs several statements without parameters (migrations). */
  exec(sql: string): Promise<void>
  close(): Promise<void>
}

/** Raised by `parley_append_check` (migration 6): an append decided on stale counters or devices. */
export const APPEND_STALE_SQLSTATE = 'PA409'

/**
 * SQLSTATE classes that mean the database cannot serve right now, whatever the request:
 * 08 connection exception, 53 insufficient resources (53100 disk full), 57 operator
 * intervention (57P01 shutdown, 57P03 cannot connect now).
 */
export const UNAVAILABLE_SQLSTATE_CLASSES: readonly string[] = ['08', '53', '57']

/**
 * Whether `error` says the database is unreachable or out of resources (a restart, a dropped
 * connection, a full disk) rather than anything about the request: such a failure is answered
 * `store_failure` (retryable), not `internal`.
 */
export function storeUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  // Socket errors (ECONNREFUSED, ECONNRESET, EPIPE…): no SQLSTATE class starts with E.
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return true
  const state = sqlState(error)
  if (state) return UNAVAILABLE_SQLSTATE_CLASSES.includes(state.slice(0, 2))
  // node-postgres' own connection failures carry no code.
  return error instanceof Error && /connection terminated|not queryable|timeout exceeded when trying to connect|connection refused/i.test(error.message)
}

/** SQLSTATEs that mean "run the transaction again". */
export const RETRYABLE_SQLSTATES: readonly string[] = ['40P01', '40001']
/** How many times a transaction is retried before its error surfaces. */
export const MAX_TRANSACTION_ATTEMPTS = 8

/** The SQLSTATE of a database error, if any. */
export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

/**
 * Applies every migration not yet recorded, in one transaction under an advisory lock.
 * Safe to call from several processes at once.
 */
export async function migrate(driver: SqlDriver): Promise<number> {
  return driver.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY])
    await tx.query('CREATE TABLE IF NOT EXISTS parley_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)')
    const rows = await tx.query<{ version: number }>('SELECT version FROM parley_migrations')
    const done = new Set(rows.map((r) => Number(r.version)))
    let applied = 0
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue
      for (const stmt of splitStatements(m.sql)) await tx.query(stmt)
      await tx.query('INSERT INTO parley_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [m.version, m.name, Date.now()])
      applied++
    }
    return applied
  })
}

/** Splits a migration into statements (our migrations never put `;` inside literals). */
function splitStatements(sql: string): string[] {
  return sql.split(/;\s*\n/).map((s) => s.trim()).filter(Boolean)
}
