/**
 * Runs a sub-store conformance suite on every backend: memory, PGlite (from the shared template)
 * and PostgreSQL (a fresh database, its tables truncated before each store; skipped with a
 * printed reason when unreachable, run and failing under CI=true). One place for the wiring the
 * blob, push and safety suites share.
 */
import { afterAll, beforeAll, describe } from 'vitest'
import pg from 'pg'
import { memoryStore } from '../../src/store/memory-store.js'
import { postgresStore } from '../../src/store/postgres-store.js'
import type { ParleyStore } from '../../src/store/store.js'
import { freshPgliteStore, pgliteTemplate } from './pglite.js'
import { freshDatabase, postgresAvailable } from './postgres.js'

/** A conformance suite: registers its tests for one backend. */
export type SubStoreContract = (name: string, make: () => Promise<ParleyStore>) => void

/** Registers `contract` for memory, PGlite and PostgreSQL; `truncate` empties its tables between stores. */
export async function onEveryBackend(contract: SubStoreContract, truncate: string): Promise<void> {
  const available = await postgresAvailable()
  // The first PGlite template of a schema is built cold (seconds, more on a busy machine): once, here.
  beforeAll(() => pgliteTemplate().then(() => undefined))
  contract('memory', async () => memoryStore())
  contract('pglite', freshPgliteStore)
  describe.skipIf(!available)('postgres', () => {
    let db: Awaited<ReturnType<typeof freshDatabase>>
    beforeAll(async () => {
      db = await freshDatabase()
    })
    afterAll(async () => {
      await db?.drop()
    })
    contract('postgres', async () => {
      const store = await postgresStore({ connectionString: db.url })
      const c = new pg.Client({ connectionString: db.url })
      await c.connect()
      await c.query(truncate)
      await c.end()
      return store
    })
  })
}
