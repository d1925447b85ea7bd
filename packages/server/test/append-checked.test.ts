/**
 * The SQL group commit's checked path: once a store has seen a conversation, a batch is one
 * statement with no transaction around it; when another process moved the counters behind
 * it, the statement writes nothing and the locking path decides again. Two PostgreSQL stores
 * on one database stand in for two server nodes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { addr, bind, pairIn, plain } from '../src/store/_contract-fixtures.js'
import { pgliteStore } from '../src/store/pglite-store.js'
import { postgresStore } from '../src/store/postgres-store.js'
import type { AppendOutcome, ParleyStore } from '../src/store/store.js'
import { pgliteTemplate } from './helpers/pglite.js'
import { freshDatabase, postgresAvailable } from './helpers/postgres.js'

const seqs = (out: AppendOutcome[]) => out.map((o) => (o.ok ? o.message.seq : -1))

/** Counts statements and transactions a store runs. */
interface Counted { store: ParleyStore; statements: () => number; transactions: () => number }

async function countedPglite(): Promise<Counted> {
  const db = await PGlite.create({ loadDataDir: await pgliteTemplate() })
  let statements = 0
  let transactions = 0
  const query = db.query.bind(db)
  const transaction = db.transaction.bind(db)
  db.query = ((...args: Parameters<typeof query>) => (statements++, query(...args))) as typeof db.query
  db.transaction = ((...args: Parameters<typeof transaction>) => (transactions++, transaction(...args))) as typeof db.transaction
  return { store: await pgliteStore({ pglite: db }), statements: () => statements, transactions: () => transactions }
}

async function countedPostgres(url: string): Promise<Counted & { pool: pg.Pool }> {
  const pool = new pg.Pool({ connectionString: url, max: 4 })
  let statements = 0
  let transactions = 0
  const query = pool.query.bind(pool) as (...a: unknown[]) => unknown
  const connect = pool.connect.bind(pool) as (...a: unknown[]) => unknown
  // pool.query checks a client out through pool.connect, synchronously: only other checkouts are transactions.
  let inQuery = false
  pool.query = ((...args: unknown[]) => {
    statements++
    inQuery = true
    try {
      return query(...args)
    } finally {
      inQuery = false
    }
  }) as typeof pool.query
  pool.connect = ((...args: unknown[]) => (inQuery || transactions++, connect(...args))) as typeof pool.connect
  return { pool, store: await postgresStore({ pool }), statements: () => statements, transactions: () => transactions }
}

describe('checked append on PGlite', () => {
  it('a second batch into a known conversation is one statement outside any transaction', async () => {
    const { store, statements, transactions } = await countedPglite()
    try {
      const { a, c } = await pairIn(store)
      expect(seqs(await store.appendMessages([plain(c.id, addr(a, 0))], bind, 100))).toEqual([1])
      const [s0, t0] = [statements(), transactions()]
      expect(seqs(await store.appendMessages([plain(c.id, addr(a, 0)), plain(c.id, addr(a, 1))], bind, 200))).toEqual([2, 3])
      expect([statements() - s0, transactions() - t0]).toEqual([1, 0])
    } finally {
      await store.close()
    }
  })
})

const available = await postgresAvailable()

describe.skipIf(!available)('checked append on PostgreSQL, two stores on one database', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>
  let one: Counted & { pool: pg.Pool }
  let two: Counted & { pool: pg.Pool }
  beforeAll(async () => {
    db = await freshDatabase()
    one = await countedPostgres(db.url)
    two = await countedPostgres(db.url)
  })
  afterAll(async () => {
    await one?.pool.end()
    await two?.pool.end()
    await db?.drop()
  })

  it('a second batch into a known conversation is one statement outside any transaction', async () => {
    const { a, c } = await pairIn(one.store)
    await one.store.appendMessages([plain(c.id, addr(a, 0))], bind, 100)
    const [s0, t0] = [one.statements(), one.transactions()]
    expect(seqs(await one.store.appendMessages([plain(c.id, addr(a, 0))], bind, 200))).toEqual([2])
    expect([one.statements() - s0, one.transactions() - t0]).toEqual([1, 0])
  })

  it('alternating and concurrent batches from both stores keep seqs and inbox ids contiguous', async () => {
    const { a, b, c } = await pairIn(one.store)
    const got: number[] = []
    for (let i = 0; i < 6; i++) got.push(...seqs(await (i % 2 ? two : one).store.appendMessages([plain(c.id, addr(a, 0)), plain(c.id, addr(b, 0))], bind, 100 + i)))
    const both = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? two : one).store.appendMessages([plain(c.id, addr(i % 3 ? a : b, 0))], bind, 200 + i)))
    got.push(...both.flatMap(seqs))
    expect(got.sort((x, y) => x - y)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1))
    const inbox = await two.store.inboxAfter(addr(a, 1), 0, 100, 1_000)
    expect(inbox.map((d) => d.inboxId)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1))
    expect(inbox.map((d) => d.message.seq)).toEqual(Array.from({ length: 32 }, (_, i) => i + 1))
  })
})
