/**
 * `postgresStore()`: the production backend on PostgreSQL through a node-postgres pool.
 * Several server processes may share one database: every multi-row write is one transaction,
 * retried on deadlock or serialization failure.
 */
import pg from 'pg'
import { MAX_TRANSACTION_ATTEMPTS, RETRYABLE_SQLSTATES, sqlState, type QueryOptions, type SqlDriver, type SqlExecutor } from './sql-driver.js'
import { sqlStore } from './sql-store.js'
import type { ParleyStore } from './store.js'

/** Connections in a pool this store creates itself. */
export const DEFAULT_POOL_SIZE = 10

/** Options of {@link postgresStore}: an existing pool, or a connection string. */
export type PostgresStoreOptions =
  | { pool: pg.Pool; connectionString?: never; poolSize?: never }
  | { connectionString: string; pool?: never; poolSize?: number }

/** A {@link SqlDriver} over a node-postgres pool. `ownsPool` → `close()` ends it. */
export function postgresDriver(pool: pg.Pool, ownsPool: boolean): SqlDriver {
  return {
    kind: 'postgres',
    async query<R>(sql: string, params?: unknown[], options?: QueryOptions) {
      return (await (options?.name ? pool.query({ name: options.name, text: sql, values: params }) : pool.query(sql, params))).rows as R[]
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, retryOn: readonly string[] = RETRYABLE_SQLSTATES): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        const client = await pool.connect()
        try {
          await client.query('BEGIN')
          const out = await fn({
            query: async (sql, params, options) => (await (options?.name ? client.query({ name: options.name, text: sql, values: params }) : client.query(sql, params))).rows,
          })
          await client.query('COMMIT')
          return out
        } catch (e) {
          await client.query('ROLLBACK').catch(() => undefined)
          const state = sqlState(e)
          if (!state || !retryOn.includes(state) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw e
        } finally {
          client.release()
        }
      }
    },
    async exec(sql) {
      await pool.query(sql)
    },
    async close() {
      if (ownsPool) await pool.end()
    },
  }
}

/**
 * Connects to PostgreSQL and migrates the schema (safe from several processes at once).
 * @throws {StoreError} when the database cannot be reached or migrated.
 * @example const store = await postgresStore({ connectionString: process.env.DATABASE_URL! })
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<ParleyStore> {
  const owns = !options.pool
  const pool = options.pool ?? new pg.Pool({ connectionString: options.connectionString, max: options.poolSize ?? DEFAULT_POOL_SIZE })
  if (owns) pool.on('error', () => undefined) // idle-client errors surface on the next query
  try {
    return await sqlStore(postgresDriver(pool, owns))
  } catch (e) {
    if (owns) await pool.end().catch(() => undefined)
    throw e
  }
}
