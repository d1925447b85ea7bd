// scratch (not committed): Node and PostgreSQL CPU per appended message, batches of 32
import pg from 'pg'
import { benchPostgres } from '../../../bench/relay/postgres.js'
import { addr, bind, pairIn, plain } from '../src/store/_contract-fixtures.js'
import { postgresStore } from '../src/store/postgres-store.js'
import { pairReader } from '../src/safety/pair-reader.js'
const BATCH = 32, ROUNDS = Number(process.env.ROUNDS ?? 300)
const server = (await benchPostgres())!
const admin = new pg.Client({ connectionString: server.url }); await admin.connect(); await admin.query('CREATE DATABASE ac'); await admin.end()
const u = new URL(server.url); u.pathname = '/ac'
const store = await postgresStore({ connectionString: u.toString() })
const { a, b, c } = await pairIn(store, 'server-side', 1, 1)
const body = 'x'.repeat(200)
const mk = () => { const m = plain(c.id, addr(a, 0)); m.sealedBody = { kid: 'd1', data: body }; return m }
for (let i = 0; i < 20; i++) await store.appendMessages(Array.from({ length: BATCH }, mk), bind, Date.now())
const run = async (label: string, fn: () => Promise<unknown>) => {
  const db0 = server.cpuMs!(), c0 = process.cpuUsage(), t0 = performance.now()
  for (let i = 0; i < ROUNDS; i++) await fn()
  const cu = process.cpuUsage(c0), n = ROUNDS * BATCH
  console.log(label.padEnd(12), 'node', ((cu.user + cu.system) / n).toFixed(1), 'µs/msg (sys', (cu.system / n).toFixed(1), ')  pg', ((1000 * (server.cpuMs!() - db0)) / n).toFixed(1), 'µs/msg  wall', ((1000 * (performance.now() - t0)) / n).toFixed(1), 'µs/msg')
}
const fixedBind = (m: any, seq: number) => ({ tf: m.tf, rf: 'OBkIWrLkPZF1uw3F2rStsZz2OTcheVSXcSP4RN26ePk=', kid: 'k1' })
for (let k = 0; k < 2; k++) {
  const pre = Array.from({ length: ROUNDS }, () => Array.from({ length: BATCH }, mk)); let j = 0
  await run('append', () => store.appendMessages(pre[j++]!, fixedBind, Date.now()))
  await run('pairs x32', () => store.safety.pairs(Array.from({ length: BATCH }, () => ({ a: a.userId, b: b.userId, conversationId: c.id }))))
  await run('pairs x1', () => store.safety.pairs([{ a: a.userId, b: b.userId, conversationId: c.id }]))
}
await store.close(); await server.stop()
