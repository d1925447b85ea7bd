/**
 * The safety sub-store (`store.safety`) and the append rule it adds, on every backend: memory,
 * PGlite and PostgreSQL (skipped with a printed reason when unreachable, run and failing under
 * CI=true). Plus, on SQL, that a withheld row goes with its message when retention purges it.
 */
import { describe, expect, it } from 'vitest'
import { PGlite } from '@electric-sql/pglite'
import { safetyContract } from '../src/store/safety-contract.js'
import { pgliteStore } from '../src/store/pglite-store.js'
import { pgliteTemplate } from './helpers/pglite.js'
import { onEveryBackend } from './helpers/sub-store-backends.js'

await onEveryBackend(safetyContract, `TRUNCATE users, devices, conversations, conversation_members, messages, inbox, blocks, mutes, message_requests, withheld RESTART IDENTITY CASCADE`)

describe('withheld rows on SQL', () => {
  it('go with their message when retention purges it (pglite)', async () => {
    const pglite = await PGlite.create({ loadDataDir: await pgliteTemplate() })
    const s = await pgliteStore({ pglite })
    try {
      await pglite.query(`INSERT INTO conversations (id, kind, mode, created_at) VALUES ('c1', 'direct', 'server-side', 1)`)
      await pglite.query(`INSERT INTO messages (id, conversation_id, seq, ts, kind, sender_user, sender_device, mode, expires_at) VALUES ('m1', 'c1', 1, 1, 'message', 'a', 'd', 'server-side', 5), ('m2', 'c1', 2, 1, 'message', 'a', 'd', 'server-side', NULL)`)
      await s.safety.withhold('m1', ['b'])
      await s.safety.withhold('m2', ['b'])
      expect((await s.safety.withheldAmong('b', ['m1', 'm2'])).sort()).toEqual(['m1', 'm2'])
      expect(await s.purgeExpired(10)).toBe(1)
      expect(await s.safety.withheldAmong('b', ['m1', 'm2'])).toEqual(['m2'])
      expect((await pglite.query('SELECT message_id FROM withheld')).rows).toEqual([{ message_id: 'm2' }])
    } finally {
      await s.close()
    }
  })
})
