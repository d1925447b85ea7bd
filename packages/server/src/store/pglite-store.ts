/**
 * `pgliteStore()`: the embedded default backend — PostgreSQL compiled to WASM
 * (`@electric-sql/pglite`), in memory or in a data directory, with no native build.
 *
 * Durability: PGlite's Node filesystem writes every page with `fs.writeSync` but its `fsync`
 * and `fdatasync` are no-ops, so a commit survives the process being killed (the bytes are
 * in the OS page cache) but not an OS crash or power loss. With `durability: 'fsync'` (the
 * default for a data dir) this store calls `fdatasync` on the newest WAL segments after
 * every write transaction, before the caller (and so the client's ack) sees the commit.
 * See docs/storage.md.
 */
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { RETRYABLE_SQLSTATES, MAX_TRANSACTION_ATTEMPTS, sqlState, type QueryOptions, type SqlDriver, type SqlExecutor } from './sql-driver.js'
import { sqlStore } from './sql-store.js'
import type { ParleyStore } from './store.js'

/** How many of the newest WAL segment files are synced after a commit (a commit may span two). */
export const WAL_SEGMENTS_SYNCED = 2

/**
 * PostgreSQL `shared_buffers` of a PGlite this store opens, in MB (PGlite's default is
 * 128 MB). The buffer pool lives in the WASM heap, which never shrinks, so it is resident
 * memory; pages it does not hold are read back from the OS page cache.
 */
export const PGLITE_SHARED_BUFFERS_MB = 32

/** Options of {@link pgliteStore}. */
export interface PgliteStoreOptions {
  /** Data directory on disk; omitted → in memory (lost on exit). */
  dataDir?: string
  /**
   * `'fsync'` (default with a data dir): fdatasync the WAL after each write, so an ack
   * survives power loss. `'os'`: leave flushing to the OS (survives a process kill only).
   */
  durability?: 'fsync' | 'os'
  /** A tarball from `dumpDataDir()` to start from (fast per-test databases). */
  loadDataDir?: Blob | File
  /** `shared_buffers` in MB; default {@link PGLITE_SHARED_BUFFERS_MB}. */
  sharedBuffersMb?: number
  /** Use an existing PGlite instance instead (the store closes it on `close()`). */
  pglite?: PGlite
}

function walSyncer(dataDir: string): () => Promise<void> {
  const walDir = path.join(dataDir, 'pg_wal')
  let known = ''
  const syncFile = async (file: string, flags: string, data: boolean) => {
    const h = await fsp.open(file, flags)
    try {
      await (data ? h.datasync() : h.sync())
    } finally {
      await h.close()
    }
  }
  // Async (libuv thread pool), so the event loop keeps reading frames while the disk syncs:
  // those frames form the next group-commit batch.
  return async () => {
    const names = (await fsp.readdir(walDir)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort()
    const newest = names.slice(-WAL_SEGMENTS_SYNCED)
    await Promise.all(newest.map((n) => syncFile(path.join(walDir, n), 'r+', true)))
    // A new segment file is durable only once its directory entry is.
    const key = newest.join(',')
    if (key !== known) {
      await syncFile(walDir, 'r', false)
      known = key
    }
  }
}

const WRITE_STATEMENT = /^\s*(INSERT|UPDATE|DELETE|CREATE|ALTER|DROP)\b/i

/** A {@link SqlDriver} over one PGlite instance (which serializes all queries itself). */
export function pgliteDriver(db: PGlite, sync?: () => Promise<void>): SqlDriver {
  const run = async <R>(q: { query: PGlite['query'] }, sql: string, params?: unknown[]) => (await q.query<R>(sql, params as never[])).rows
  return {
    kind: 'pglite',
    async query<R>(sql: string, params?: unknown[], options?: QueryOptions) {
      const rows = await run<R>(db, sql, params)
      if (sync && (options?.write ?? WRITE_STATEMENT.test(sql))) await sync()
      return rows
    },
    async transaction<T>(fn: (tx: SqlExecutor) => Promise<T>, retryOn: readonly string[] = RETRYABLE_SQLSTATES): Promise<T> {
      for (let attempt = 1; ; attempt++) {
        try {
          const out = await db.transaction((tx) => fn({ query: (sql, params) => run(tx, sql, params) }))
          await sync?.()
          return out
        } catch (e) {
          const state = sqlState(e)
          if (!state || !retryOn.includes(state) || attempt >= MAX_TRANSACTION_ATTEMPTS) throw e
        }
      }
    },
    async exec(sql) {
      await db.exec(sql)
      await sync?.()
    },
    async close() {
      if (!db.closed) await db.close()
    },
  }
}

/**
 * Opens (creating if needed) an embedded PGlite store and migrates it.
 * @throws {StoreError} when the database cannot be opened or migrated.
 * @throws {RangeError} when `sharedBuffersMb` is not a positive integer.
 * @example const store = await pgliteStore({ dataDir: './.parley-data' })
 */
export async function pgliteStore(options: PgliteStoreOptions = {}): Promise<ParleyStore> {
  const dataDir = options.dataDir === undefined ? undefined : path.resolve(options.dataDir)
  const sharedBuffersMb = options.sharedBuffersMb ?? PGLITE_SHARED_BUFFERS_MB
  if (!Number.isInteger(sharedBuffersMb) || sharedBuffersMb < 1) throw new RangeError('"sharedBuffersMb" expected a positive integer')
  const db = options.pglite ?? (await PGlite.create({
    ...(dataDir ? { dataDir } : {}),
    startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${sharedBuffersMb}MB`],
    ...(options.loadDataDir ? { loadDataDir: options.loadDataDir } : {}),
  }))
  const durability = options.durability ?? (dataDir ? 'fsync' : 'os')
  const sync = durability === 'fsync' && dataDir ? walSyncer(dataDir) : undefined
  return sqlStore(pgliteDriver(db, sync))
}
