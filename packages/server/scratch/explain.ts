import pg from 'pg'
import { benchPostgres } from '../../../bench/relay/postgres.js'
import { addr, bind, pairIn, plain } from '../src/store/_contract-fixtures.js'
import { postgresStore } from '../src/store/postgres-store.js'
const BATCH = 32
const server = (await benchPostgres())!
const admin = new pg.Client({ connectionString: server.url }); await admin.connect(); await admin.query('CREATE DATABASE ac'); await admin.end()
const u = new URL(server.url); u.pathname = '/ac'
let armed = false
const orig = pg.Client.prototype.query as any
;(pg.Client.prototype as any).query = function (this: unknown, ...args: any[]) {
  const c = args[0]
  if (c && typeof c === 'object' && c.name === 'parley_append_write_v2' && armed) {
    armed = false
    const self = this as any
    return (async () => {
      await orig.call(self, 'BEGIN')
      const r = await orig.call(self, `EXPLAIN (ANALYZE, VERBOSE, BUFFERS, TIMING) ${c.text}`, c.values)
      await orig.call(self, 'ROLLBACK')
      for (const row of r.rows) console.log(row['QUERY PLAN'])
      return { rows: [] }
    })()
  }
  return orig.apply(this, args)
}
const store = await postgresStore({ connectionString: u.toString() })
const { a, c } = await pairIn(store, 'server-side', 1, 1)
const mk = () => { const m = plain(c.id, addr(a, 0)); m.sealedBody = { kid: 'd1', data: 'x'.repeat(200) }; return m }
await store.appendMessages([mk()], bind, Date.now())
for (let i = 0; i < 30; i++) await store.appendMessages(Array.from({ length: BATCH }, mk), bind, Date.now())
armed = true
await store.appendMessages(Array.from({ length: BATCH }, mk), bind, Date.now())
await store.close(); await server.stop()
