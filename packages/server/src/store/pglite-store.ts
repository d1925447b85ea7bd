/**
 * `pgliteStore()`: the embedded default backend — PostgreSQL compiled to WASM
 * (`@electric-sql/pglite`), in memory or in a data directory, with no native build.
 *
 * Durability: PGlite's Node filesystem writes every page with `fs.writeSync` but its `fsync`
 * and `fdatasync` are no-ops, so a commit survives the process being killed (the bytes are
 * in the OS page cache) but not an OS crash or power loss. With `durability: 'fsync'` (the
 * default for a data dir) this store calls `fdatasync` on the WAL segments written since the
 * last sync (located with `pg_walfile_name`) after every write transaction, before the caller
 * (and so the client's ack) sees the commit.
 * See docs/storage.md.
 */
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { RETRYABLE_SQLSTATES, MAX_TRANSACTION_ATTEMPTS, sqlState, type QueryOptions, type SqlDriver, type SqlExecutor } from './sql-driver.js'
import { sqlStore } from './sql-store.js'
import type { ParleyStore } from './store.js'

/**
 * WAL segment files synced after the first commit of a store (the current one and the one
 * before it: a commit may span two); later commits sync the segments written since.
 */
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

/** `pg_walfile_name` of the WAL insert position: the segment the latest commit ends in. */
const CURRENT_SEGMENT_SQL = 'SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS f'

/**
 * Makes every commit so far durable: `fdatasync` on the WAL segments written since the last
 * sync, found by asking PostgreSQL where WAL insertion is (`pg_walfile_name`), not by file
 * names — after a restart PostgreSQL renames old segments to future names, so the newest names
 * in `pg_wal` are empty recycled files, not the segment being written. Segment files stay open
 * (an `fdatasync` on any descriptor flushes the file), so a commit costs one small query and
 * one `fdatasync` instead of a directory read and an open/close per segment; the directory is
 * synced when the written segment changes (a new or renamed entry). Concurrent calls are safe:
 * each syncs from the last segment a finished call synced through the current one.
 */
export function walSyncer(db: Pick<PGlite, 'exec'>, dataDir: string): { sync(): Promise<void>; close(): Promise<void> } {
  const walDir = path.join(dataDir, 'pg_wal')
  const open = new Map<string, Promise<fsp.FileHandle>>()
  /** The segment the last finished sync covered (and the name the directory was last synced for). */
  let synced: string | undefined
  let dirSyncedFor: string | undefined
  let running = 0
  const handle = (name: string) => {
    let h = open.get(name)
    if (!h) {
      h = fsp.open(path.join(walDir, name), 'r+')
      open.set(name, h)
      h.catch(() => open.delete(name)) // a failed open is retried next time
    }
    return h
  }
  const datasync = async (name: string) => (await handle(name)).datasync()
  const closeOlderThan = async (name: string) => {
    for (const [n, h] of open) {
      if (n < name) {
        open.delete(n)
        await h.then((f) => f.close(), () => undefined)
      }
    }
  }
  return {
    async sync() {
      running++
      try {
        // `exec` (simple protocol, no parameters) costs about half of `query` in PGlite.
        const current = (await db.exec(CURRENT_SEGMENT_SQL))[0]!.rows[0]!.f as string
        // From the last synced segment (it may hold later commits) through the current one;
        // on the first sync also the segment before it (a commit may span two).
        let names = [current]
        if (synced === undefined || synced < current) {
          const all = (await fsp.readdir(walDir)).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort()
          const from = synced ?? all.filter((n) => n < current).pop() ?? current
          names = all.filter((n) => n >= from && n <= current)
          if (!names.includes(current)) names.push(current)
        }
        await Promise.all(names.map(datasync))
        if (dirSyncedFor !== current) {
          // A new (or renamed) segment file is durable only once its directory entry is.
          const dir = await fsp.open(walDir, 'r')
          try {
            await dir.sync()
          } finally {
            await dir.close()
          }
          dirSyncedFor = current
        }
        if (synced === undefined || synced < current) synced = current
      } finally {
        running--
      }
      if (running === 0 && synced !== undefined) await closeOlderThan(synced)
    },
    async close() {
      await closeOlderThan('~') // every name sorts before '~'
    },
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
  const syncer = durability === 'fsync' && dataDir ? walSyncer(db, dataDir) : undefined
  const driver = pgliteDriver(db, syncer?.sync)
  if (syncer) {
    const close = driver.close.bind(driver)
    driver.close = async () => {
      await close()
      await syncer.close()
    }
  }
  return sqlStore(driver)
}
