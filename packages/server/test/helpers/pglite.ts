/**
 * PGlite databases for tests: a cold `PGlite.create()` takes seconds and ~750 MB, so one
 * migrated template is dumped once (cached in the OS temp dir, keyed by the schema) and every
 * test database starts from it with `loadDataDir`.
 */
import { createHash, randomBytes } from 'node:crypto'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { MIGRATIONS } from '../../src/store/migrations.js'
import { migrate } from '../../src/store/sql-driver.js'
import { pgliteDriver, pgliteStore } from '../../src/store/pglite-store.js'
import type { ParleyStore } from '../../src/store/store.js'

let cached: Promise<Blob> | undefined

function templatePath(): string {
  const h = createHash('sha256').update(JSON.stringify(MIGRATIONS)).digest('hex').slice(0, 16)
  return path.join(os.tmpdir(), `parley-pglite-template-${h}.tar`)
}

/** The migrated, empty database as a tarball (built once per machine and schema). */
export function pgliteTemplate(): Promise<Blob> {
  cached ??= (async () => {
    const file = templatePath()
    if (fs.existsSync(file)) return new Blob([fs.readFileSync(file)])
    const db = await PGlite.create()
    await migrate(pgliteDriver(db))
    const blob = await db.dumpDataDir('none')
    await db.close()
    const tmp = `${file}.${randomBytes(4).toString('hex')}`
    fs.writeFileSync(tmp, new Uint8Array(await blob.arrayBuffer()))
    fs.renameSync(tmp, file)
    return blob
  })()
  return cached
}

/** A fresh in-memory PGlite store from the template. */
export async function freshPgliteStore(): Promise<ParleyStore> {
  return pgliteStore({ loadDataDir: await pgliteTemplate() })
}

/** A fresh PGlite store in a new data directory (for restart and kill tests). */
export async function freshPgliteDir(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-pglite-'))
  const store = await pgliteStore({ dataDir: dir, loadDataDir: await pgliteTemplate() })
  await store.close()
  return dir
}
