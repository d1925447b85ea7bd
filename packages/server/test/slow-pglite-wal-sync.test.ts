/**
 * PGlite `durability: 'fsync'` syncs the WAL segment PostgreSQL is writing. After a restart,
 * PostgreSQL renames old segments to future names (recycling), so the newest file names in
 * `pg_wal` are empty pre-allocated segments: syncing "the newest two names" (the old rule)
 * missed the segment holding the commits. Reproduced here (control: the old rule's files do not
 * include the written segment), then the store's syncer is checked to sync exactly that one.
 */
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs'
import { promises as fsp } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import * as path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { afterAll, describe, expect, it, vi } from 'vitest'
import { walSyncer, WAL_SEGMENTS_SYNCED } from '../src/store/pglite-store.js'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
/** Enough rows to fill more than two 16 MB WAL segments (stored uncompressed, generated in SQL). */
async function fillWal(db: PGlite): Promise<void> {
  await db.exec('CREATE TABLE IF NOT EXISTS filler (id serial PRIMARY KEY, v text); ALTER TABLE filler ALTER v SET STORAGE EXTERNAL')
  for (let i = 0; i < 8; i++) await db.exec(`INSERT INTO filler (v) SELECT repeat(md5(g::text), 700) FROM generate_series(1, 200) AS g`)
}
const current = async (db: PGlite) => (await db.query<{ f: string }>('SELECT pg_walfile_name(pg_current_wal_insert_lsn()) AS f')).rows[0]!.f

describe('PGlite WAL sync after a restart', () => {
  it('syncs the segment being written, not the newest (recycled) names', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-wal-'))
    dirs.push(dataDir)
    const first = await PGlite.create({ dataDir })
    await fillWal(first)
    await first.close() // the shutdown checkpoint recycles the old segments under future names
    const db = await PGlite.create({ dataDir })
    await db.query('INSERT INTO filler (v) VALUES ($1)', ['after restart'])
    const written = await current(db)
    const names = readdirSync(path.join(dataDir, 'pg_wal')).filter((n) => /^[0-9A-F]{24}$/.test(n)).sort()
    // Control: the scenario reproduces — the old rule would have synced only recycled files.
    expect(names.slice(-WAL_SEGMENTS_SYNCED)).not.toContain(written)

    // Which files the syncer flushes: each datasync's descriptor, resolved through /proc (Linux).
    const synced: string[] = []
    const probe = await fsp.open(dataDir, 'r')
    const proto = Object.getPrototypeOf(probe) as { datasync(this: FileHandle): Promise<void> }
    await probe.close()
    const real = proto.datasync
    const spy = vi.spyOn(proto, 'datasync').mockImplementation(function (this: FileHandle) {
      synced.push(path.basename(readlinkSync(`/proc/self/fd/${this.fd}`)))
      return real.call(this)
    })
    const syncer = walSyncer(db, dataDir)
    await syncer.sync()
    await db.query('INSERT INTO filler (v) VALUES ($1)', ['second commit'])
    synced.length = 0
    await syncer.sync()
    expect(synced).toContain(await current(db))
    await syncer.close()
    spy.mockRestore()
    await db.close()
  }, 120_000)
})
