/**
 * The push sub-store (`store.push`: push registrations per device) on every backend: memory,
 * PGlite and PostgreSQL (skipped with a printed reason when unreachable, run and failing under
 * CI=true).
 */
import { afterAll, beforeAll, describe } from 'vitest'
import pg from 'pg'
import { pushContract } from '../src/store/push-contract.js'
import { memoryStore } from '../src/store/memory-store.js'
import { postgresStore } from '../src/store/postgres-store.js'
import { freshPgliteStore, pgliteTemplate } from './helpers/pglite.js'
import { freshDatabase, postgresAvailable } from './helpers/postgres.js'

const available = await postgresAvailable()
beforeAll(() => pgliteTemplate().then(() => undefined))

pushContract('memory', async () => memoryStore())
pushContract('pglite', freshPgliteStore)

describe.skipIf(!available)('postgres', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase()
  })
  afterAll(async () => {
    await db?.drop()
  })
  pushContract('postgres', async () => {
    const store = await postgresStore({ connectionString: db.url })
    const c = new pg.Client({ connectionString: db.url })
    await c.connect()
    await c.query('TRUNCATE push_registrations')
    await c.end()
    return store
  })
})
