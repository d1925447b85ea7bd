import { afterAll, beforeAll, describe } from 'vitest'
import { storeContract } from '../src/store/contract.js'
import { appendContract } from '../src/store/contract-append.js'
import { groupContract } from '../src/store/contract-groups.js'
import { recoveryContract } from '../src/store/contract-recovery.js'
import { postgresStore } from '../src/store/postgres-store.js'
import { freshDatabase, postgresAvailable } from './helpers/postgres.js'

const available = await postgresAvailable()

describe.skipIf(!available)('postgres', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  beforeAll(async () => {
    db = await freshDatabase()
  })
  afterAll(async () => {
    await db?.drop()
  })
  // Each test gets a fresh schema-clean state by truncating every table.
  const open = async () => {
    const store = await postgresStore({ connectionString: db.url })
    const pg = await import('pg')
    const c = new pg.default.Client({ connectionString: db.url })
    await c.connect()
    await c.query(`TRUNCATE parley_meta, users, devices, one_time_prekeys, conversations, conversation_members, messages, inbox, notices, reports, token_buckets, link_requests, moderation_suspensions, moderation_revoked_devices, moderation_closures, moderation_report_resolutions, moderation_audit RESTART IDENTITY CASCADE`)
    await c.end()
    return store
  }
  storeContract('postgres', open)
  appendContract('postgres', open)
  groupContract('postgres', open)
  recoveryContract('postgres', open)
})
