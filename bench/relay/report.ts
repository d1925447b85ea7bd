/**
 * bench/relay's printed rows, ratios and target verdicts. Targets are the ones issue 13 set;
 * each verdict compares figures of one run.
 */
import type { Result } from './harness.js'
import type { Recorder } from '../report/record.js'

/** Server-side on PostgreSQL: at least this many times the naive durable relay's msg/s. */
const VS_NAIVE_TARGET = 2
/** Server-side on PostgreSQL: at least this share of the raw relay's msg/s. */
const PG_VS_RAW_TARGET = 0.5
/** Server-side on PGlite: at least this share of the raw relay's msg/s. */
const PGLITE_VS_RAW_TARGET = 0.3
/**
 * Server CPU per message on PostgreSQL, µs, read as Parley's CPU **minus the raw relay's** in the
 * same run: the raw relay alone costs 45–150 µs/msg in this harness (socket.io's parsing,
 * encoding and acks, which Parley pays too), so an absolute 100 µs would ask Parley to be
 * cheaper than a relay that does nothing. The absolute figure and the ratio are printed beside it.
 */
const CPU_TARGET_US = 100
/** p99 ack latency: at most this multiple of the raw relay's. */
const P99_TARGET = 2

const rate = (r: Result) => r.msgs / r.seconds
const cpuUs = (r: Result) => (1000 * r.cpuMs) / r.msgs

export const fmt = (r: Result) =>
  `${r.name.padEnd(44)} ${rate(r).toFixed(0).padStart(7)} msg/s  p50 ${r.p50.toFixed(2).padStart(7)} ms  p99 ${r.p99.toFixed(2).padStart(7)} ms  server CPU ${cpuUs(r).toFixed(0).padStart(4)} µs/msg (sys ${((1000 * r.sysMs) / r.msgs).toFixed(0).padStart(3)})  RSS ${(r.rss / 2 ** 20).toFixed(0).padStart(4)} MB${r.dbCpuMs !== undefined ? `  PostgreSQL CPU ${((1000 * r.dbCpuMs) / r.msgs).toFixed(0)} µs/msg` : ''}${r.avgBatch ? `  commit: avg batch ${r.avgBatch.toFixed(1)}, avg ${r.avgCommitMs.toFixed(1)} ms` : ''}`

/** The mean of the raw relay measured before and after the other rows of a section. */
export function meanRaw(a: Result, b: Result): Result {
  const r = (rate(a) + rate(b)) / 2
  return { ...a, name: 'raw socket.io relay (mean)', seconds: a.msgs / r, p50: (a.p50 + b.p50) / 2, p99: (a.p99 + b.p99) / 2, rss: (a.rss + b.rss) / 2, cpuMs: (a.cpuMs + b.cpuMs) / 2, sysMs: (a.sysMs + b.sysMs) / 2 }
}

/** One row against the raw relay (and the naive relay, for PostgreSQL rows). */
export function ratioLine(r: Result, raw: Result, naive?: Result): string {
  const vsNaive = naive && r !== naive && r.name.endsWith('/ PostgreSQL') ? `, ${(rate(r) / rate(naive)).toFixed(2)}× naive` : ''
  return `${r.name.padEnd(44)} throughput ${((100 * rate(r)) / rate(raw)).toFixed(1).padStart(5)} % of raw${vsNaive}, p99 ${(r.p99 / raw.p99).toFixed(2)}×, server CPU/msg ${(cpuUs(r) / cpuUs(raw)).toFixed(2)}×`
}

const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED')

/** The issue's targets for a section, each with its figure and verdict. */
export function targetLines(section: Result[], raw: Result): string[] {
  const naive = section.find((r) => r.name.startsWith('naive'))
  const pg = section.find((r) => r.name === 'parley server-side / PostgreSQL')
  const lite = section.find((r) => r.name === 'parley server-side / PGlite (fsync)')
  const out: string[] = ['targets (server-side):']
  if (pg && naive) out.push(`  PostgreSQL vs naive durable relay   ${(rate(pg) / rate(naive)).toFixed(2)}×  (≥ ${VS_NAIVE_TARGET}×)  ${verdict(rate(pg) >= VS_NAIVE_TARGET * rate(naive))}`)
  if (pg) {
    out.push(`  PostgreSQL vs raw                   ${((100 * rate(pg)) / rate(raw)).toFixed(1)} %  (≥ ${100 * PG_VS_RAW_TARGET} %)  ${verdict(rate(pg) >= PG_VS_RAW_TARGET * rate(raw))}`)
    const extra = cpuUs(pg) - cpuUs(raw)
    out.push(`  PostgreSQL server CPU minus raw     ${extra.toFixed(0)} µs/msg  (≤ ${CPU_TARGET_US})  ${verdict(extra <= CPU_TARGET_US)}  [${cpuUs(pg).toFixed(0)} µs/msg = ${(cpuUs(pg) / cpuUs(raw)).toFixed(2)}× raw's ${cpuUs(raw).toFixed(0)}]`)
    out.push(`  PostgreSQL p99 vs raw               ${(pg.p99 / raw.p99).toFixed(2)}×  (≤ ${P99_TARGET}×)  ${verdict(pg.p99 <= P99_TARGET * raw.p99)}`)
  }
  if (lite) {
    out.push(`  PGlite vs raw                       ${((100 * rate(lite)) / rate(raw)).toFixed(1)} %  (≥ ${100 * PGLITE_VS_RAW_TARGET} %)  ${verdict(rate(lite) >= PGLITE_VS_RAW_TARGET * rate(raw))}`)
    out.push(`  PGlite p99 vs raw                   ${(lite.p99 / raw.p99).toFixed(2)}×  (≤ ${P99_TARGET}×)  ${verdict(lite.p99 <= P99_TARGET * raw.p99)}`)
  }
  return out.length > 1 ? out : []
}

/** A row's metrics as the JSON results keep them. */
const metricsOf = (r: Result) => ({
  'msg/s': rate(r), 'p50 ms': r.p50, 'p99 ms': r.p99, 'server CPU µs/msg': cpuUs(r), 'server RSS MB': r.rss / 2 ** 20,
  ...(r.dbCpuMs !== undefined ? { 'PostgreSQL CPU µs/msg': (1000 * r.dbCpuMs) / r.msgs } : {}),
})

/**
 * Records a section for the JSON results: every row, then each Parley row's figures against the
 * mean raw relay (and PostgreSQL rows against the naive durable relay) of this section, with
 * the issue's targets where it set one.
 */
export function recordSection(rec: Recorder, rows: Result[], raw: Result): void {
  for (const r of rows) rec.row(r.name, metricsOf(r))
  rec.row(raw.name, metricsOf(raw))
  const naive = rows.find((r) => r.name.startsWith('naive'))
  for (const r of rows) {
    if (r.name.startsWith('raw')) continue
    const pg = r.name === 'parley server-side / PostgreSQL'
    const lite = r.name === 'parley server-side / PGlite (fsync)'
    const base = { subject: r.name, baseline: raw.name, unit: '×' }
    rec.figure({ ...base, name: 'throughput vs raw', metric: 'msg/s', value: rate(r) / rate(raw), ...(pg || lite ? { target: { op: '>=' as const, value: pg ? PG_VS_RAW_TARGET : PGLITE_VS_RAW_TARGET } } : {}) })
    rec.figure({ ...base, name: 'p99 vs raw', metric: 'p99 ms', value: r.p99 / raw.p99, ...(pg || lite ? { target: { op: '<=' as const, value: P99_TARGET } } : {}) })
    rec.figure({ ...base, name: 'server CPU/msg vs raw', metric: 'server CPU µs/msg', value: cpuUs(r) / cpuUs(raw) })
    if (naive && r !== naive && r.name.endsWith('/ PostgreSQL')) {
      rec.figure({ ...base, baseline: naive.name, name: 'throughput vs naive durable relay', metric: 'msg/s', value: rate(r) / rate(naive), ...(pg ? { target: { op: '>=' as const, value: VS_NAIVE_TARGET } } : {}) })
    }
    if (pg) {
      rec.figure({ subject: r.name, name: 'server CPU per message', metric: 'server CPU µs/msg', value: cpuUs(r), unit: 'µs/msg' })
      rec.figure({ ...base, name: 'server CPU per message minus raw', metric: 'server CPU µs/msg', value: cpuUs(r) - cpuUs(raw), unit: 'µs/msg', target: { op: '<=', value: CPU_TARGET_US } })
    }
  }
}
