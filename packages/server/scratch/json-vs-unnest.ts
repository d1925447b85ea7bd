import pg from 'pg'
import { benchPostgres } from '../../../bench/relay/postgres.js'
const server = (await benchPostgres())!
const pool = new pg.Pool({ connectionString: server.url, max: 1 })
await pool.query(`CREATE UNLOGGED TABLE t (id text primary key, c text, seq bigint, u text, d text, k text, mode text, bk text, b text, a jsonb, f jsonb, x bigint, sk jsonb)`)
const B = 32, R = 300
let n = 0
const rows = () => Array.from({ length: B }, () => { n++; return { id: `m_${n}-0f0e1b7e-1111-2222-3333`, c: 'c_00000000-0000-0000-0000-000000000000', seq: n, u: 'a0-12345678', d: 'd1', k: 'abcdef0123456789', mode: 'server-side', bk: 'd1', b: 'x'.repeat(200), a: null, f: JSON.stringify({ tf: 'Ubrl2l66mH4Yezs6ySaxRtOzZ1yXBWPGl9bus3TFttE=', rf: 'OBkIWrLkPZF1uw3F2rStsZz2OTcheVSXcSP4RN26ePk=', kid: 'f1' }), x: null, sk: null } })
const K = ['id', 'c', 'seq', 'u', 'd', 'k', 'mode', 'bk', 'b', 'a', 'f', 'x', 'sk'] as const
const jsonSql = `INSERT INTO t SELECT x.id, x.c, x.seq::bigint, x.u, x.d, x.k, x.mode, x.bk, x.b, x.a::jsonb, x.f::jsonb, x.x::bigint, x.sk::jsonb FROM ROWS FROM (${K.map((_, i) => `json_array_elements_text($${i + 1}::json)`).join(', ')}) AS x(${K.join(', ')})`
const arrSql = `INSERT INTO t SELECT x.id, x.c, x.seq, x.u, x.d, x.k, x.mode, x.bk, x.b, x.a::jsonb, x.f::jsonb, x.x, x.sk::jsonb FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::bigint[], $13::text[]) AS x(${K.join(', ')})`
const variants: [string, string, (r: any[]) => unknown[]][] = [
  ['json arrays', jsonSql, (r) => K.map((k) => JSON.stringify(r.map((x) => x[k])))],
  ['pg arrays', arrSql, (r) => K.map((k) => r.map((x) => x[k]))],
]
for (let round = 0; round < 3; round++) for (const [name, sql, params] of variants) {
  const db0 = server.cpuMs!(), c0 = process.cpuUsage()
  for (let i = 0; i < R; i++) await pool.query({ text: sql, values: params(rows()), name: name.replace(' ', '_') })
  const c = process.cpuUsage(c0)
  console.log(name.padEnd(12), 'node', ((c.user + c.system) / R / B).toFixed(1), 'µs/row  pg', ((1000 * (server.cpuMs!() - db0)) / R / B).toFixed(1), 'µs/row')
}
await pool.end(); await server.stop()
