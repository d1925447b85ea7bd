/**
 * Reports are sealed at rest (issue 12, row 14): a `VerifiedReport` carries reported plaintext
 * in every mode, so the server seals it with its data key before any store sees it. For each
 * backend a real server takes a report over a socket; then the raw `reports` rows (SQL) hold
 * no reported text, attachment name or reason, and `parley.getReport` opens it again. A row
 * left in plain JSON by an older version is sealed when the server starts. PostgreSQL: skipped
 * with a printed reason when unreachable, run (and failing) under CI=true.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import pg from 'pg'
import type { Delivery, ReportEntry, VerifiedReport } from '@parley/protocol'
import { MIGRATIONS } from '../src/store/migrations.js'
import { memoryStore } from '../src/store/memory-store.js'
import { pgliteStore } from '../src/store/pglite-store.js'
import { postgresStore } from '../src/store/postgres-store.js'
import type { ParleyStore } from '../src/store/store.js'
import { connectDevice, ok } from './helpers/client.js'
import { makeTestUser, plainSend } from './helpers/device.js'
import { pgliteTemplate } from './helpers/pglite.js'
import { freshDatabase, postgresAvailable } from './helpers/postgres.js'
import { startTestServer } from './helpers/server.js'

const postgres = await postgresAvailable()

/** A store and a raw reader of its `reports` table (null for memory: nothing outside the process). */
interface Backend {
  store: ParleyStore
  rawReports(): Promise<Record<string, unknown>[] | null>
  rawQuery(sql: string, params: unknown[]): Promise<void>
  close(): Promise<void>
}

const BACKENDS: { name: string; skip: boolean; open(): Promise<Backend> }[] = [
  {
    name: 'memory', skip: false,
    async open() {
      return { store: memoryStore(), rawReports: async () => null, rawQuery: async () => { throw new Error('no SQL') }, close: async () => {} }
    },
  },
  {
    name: 'pglite', skip: false,
    async open() {
      const db = await PGlite.create({ loadDataDir: await pgliteTemplate() })
      const store = await pgliteStore({ pglite: db })
      return {
        store,
        rawReports: async () => (await db.query<Record<string, unknown>>('SELECT * FROM reports')).rows,
        rawQuery: async (sql, params) => void (await db.query(sql, params)),
        close: async () => {},
      }
    },
  },
  {
    name: 'postgres', skip: !postgres,
    async open() {
      const database = await freshDatabase()
      const store = await postgresStore({ connectionString: database.url })
      const client = new pg.Client({ connectionString: database.url })
      await client.connect()
      return {
        store,
        rawReports: async () => (await client.query('SELECT * FROM reports')).rows as Record<string, unknown>[],
        rawQuery: async (sql, params) => void (await client.query(sql, params)),
        close: async () => {
          await client.end()
          await database.drop()
        },
      }
    },
  },
]

const open: { close(): unknown }[] = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close()
})

function entryOf(d: Delivery, text: string, nf: string): ReportEntry {
  return {
    messageId: d.messageId, conversationId: d.conversationId, seq: d.seq, ts: d.ts, sender: d.sender, text, attachments: [], nf,
    tf: d.franking!.tf, rf: d.franking!.rf, kid: d.franking!.kid,
  }
}

it('migration versions are unique and increasing (two branches adding one each must renumber)', () => {
  const versions = MIGRATIONS.map((m) => m.version)
  expect(versions).toEqual([...versions].sort((a, b) => a - b))
  expect(new Set(versions).size).toBe(versions.length)
})

describe.each(BACKENDS)('sealed reports: $name', (backend) => {
  it.skipIf(backend.skip)('a submitted report is stored sealed: no reported text or reason in the row; getReport opens it', async () => {
    const b = await backend.open()
    open.push(b)
    const marker = `secret-${randomBytes(6).toString('hex')}`
    const reports: VerifiedReport[] = []
    const s = await startTestServer({ store: b.store, onReport: (r) => void reports.push(r) })
    open.push(s)
    const alice = makeTestUser(1)
    const bob = makeTestUser(1)
    const a = await connectDevice(s.url, alice)
    const d = await connectDevice(s.url, bob)
    open.push(a, d)
    const { conversation } = await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })
    const frame = plainSend(conversation.id, `the ${marker} words`)
    await ok(a.socket, 'message.send', frame)
    const [delivery] = await d.messages.count(1)
    const entry = entryOf(delivery!, `the ${marker} words`, (frame as { body: { nf: string } }).body.nf)
    const reason = `reason-${marker}`
    const res = await ok(d.socket, 'report.submit', { reportId: 'r-sealed', conversationId: conversation.id, reason, entries: [entry] })
    expect(res).toMatchObject({ duplicate: false, verifiedEntries: 1 })
    await expect.poll(() => reports.length).toBe(1)

    // Control: the report really holds the marker (what used to be stored as plain JSON).
    expect(JSON.stringify(reports[0])).toContain(marker)
    const rows = await b.rawReports()
    if (rows) {
      expect(rows).toHaveLength(1)
      expect(JSON.stringify(rows)).not.toContain(marker)
      expect(rows[0]).toMatchObject({ reporter_user: bob.userId, report_id: 'r-sealed', sealed_kid: 'dk1', report: null })
    }
    const stored = await b.store.getReport(bob.userId, 'r-sealed')
    expect(JSON.stringify(stored)).not.toContain(marker)
    expect(await s.parley.getReport(bob.userId, 'r-sealed')).toEqual(reports[0])
    // The duplicate path opens the stored report for its counts.
    expect(await ok(d.socket, 'report.submit', { reportId: 'r-sealed', conversationId: conversation.id, reason: 'again', entries: [] })).toEqual({ ...res, duplicate: true })
  })

})

describe.each(BACKENDS.filter((x) => x.name !== 'memory'))('legacy plain reports: $name', (backend) => {
  it.skipIf(backend.skip)('a report an older version stored in plain JSON is sealed when the server starts', async () => {
    const b = await backend.open()
    open.push(b)
    const marker = `legacy-${randomBytes(6).toString('hex')}`
    const legacy: VerifiedReport = {
      reportId: 'r-old', conversationId: 'c-old', reporter: { userId: 'u-old', deviceId: 'd1' }, reason: `reason ${marker}`, receivedAt: 7,
      entries: [{ messageId: 'm1', seq: 1, ts: 1, sender: { userId: 'u2', deviceId: 'd2' }, text: marker, attachments: [], verified: true }],
      transcript: { verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 },
    }
    // What migration 1's schema held: the whole report as jsonb, nothing sealed.
    await b.rawQuery('INSERT INTO reports (reporter_user, report_id, conversation_id, received_at, report) VALUES ($1, $2, $3, $4, $5::jsonb)', ['u-old', 'r-old', 'c-old', 7, JSON.stringify(legacy)])
    expect(JSON.stringify(await b.rawReports())).toContain(marker) // control: the plaintext is there
    const s = await startTestServer({ store: b.store })
    open.push(s)
    const rows = (await b.rawReports())!
    expect(JSON.stringify(rows)).not.toContain(marker)
    expect(rows[0]).toMatchObject({ report: null, sealed_kid: 'dk1' })
    expect(await s.parley.getReport('u-old', 'r-old')).toEqual(legacy)
  })
})
