/**
 * The structured side of a bench suite's output: beside its printed text, each suite records
 * its rows and its figures — every figure a ratio of a Parley row to a baseline measured in the
 * same run (raw socket.io relay, naive durable relay, libsignal-client), with the target it is
 * held to — into `results/<suite>.node-v<version>.json`. `report/write.ts` turns every such
 * file into `results/latest.json`, `results/latest.md` and SVG plots.
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { arch, cpus, loadavg, platform, totalmem } from 'node:os'
import { fileURLToPath } from 'node:url'

/** One measured row: a name and its metrics (msg/s, ms, µs/msg, MB, ops/s …). */
export interface Row {
  name: string
  metrics: Record<string, number>
}

/**
 * A figure of a Parley row and what it must reach: a ratio to a baseline row of the same run
 * (`unit: '×'`), or, for the few absolute targets (server CPU per message minus the raw relay's), a value in `unit`.
 */
export interface Figure {
  /** What it says, e.g. "throughput vs raw". */
  name: string
  /** The Parley row, and (for ratios) the baseline row it is compared with. */
  subject: string
  baseline?: string
  /** The metric compared (msg/s, p99 ms, ops/s …). */
  metric: string
  /** subject / baseline (unit '×'), or the absolute value in `unit`. */
  value: number
  unit: string
  target?: { op: '>=' | '<='; value: number }
}

export interface Section {
  title: string
  rows: Row[]
  figures: Figure[]
}

export interface SuiteRun {
  suite: string
  node: string
  openssl: string
  startedAt: string
  machine: { cpu: string; cores: number; memoryGiB: number; os: string }
  /** Load average (1 min) at the start and the end: the machine is often shared. */
  load: { start: number; end: number }
  /** Versions of the libraries compared. */
  versions: Record<string, string>
  sections: Section[]
}

/** True when the figure meets its target (undefined: no target). */
export function met(f: Figure): boolean | undefined {
  if (!f.target) return undefined
  return f.target.op === '>=' ? f.value >= f.target.value : f.value <= f.target.value
}

export function machine(): SuiteRun['machine'] {
  const cpu = cpus()
  return { cpu: cpu[0]?.model ?? 'unknown', cores: cpu.length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${platform()} ${arch()}` }
}

/** Collects one suite's sections while it runs; `write()` saves them. */
export class Recorder {
  private readonly run: SuiteRun
  private current: Section | null = null

  constructor(suite: string, versions: Record<string, string> = {}) {
    this.run = {
      suite, node: process.version, openssl: process.versions.openssl ?? '', startedAt: new Date().toISOString(), machine: machine(),
      load: { start: loadavg()[0]!, end: 0 }, versions, sections: [],
    }
  }

  section(title: string): void {
    this.current = { title, rows: [], figures: [] }
    this.run.sections.push(this.current)
  }

  row(name: string, metrics: Record<string, number>): void {
    this.need().rows.push({ name, metrics })
  }

  figure(f: Figure): void {
    this.need().figures.push(f)
  }

  /** Writes `results/<suite>.node-v<version>.json`; returns its path. */
  write(): string {
    this.run.load.end = loadavg()[0]!
    const dir = fileURLToPath(new URL('../results/', import.meta.url))
    mkdirSync(dir, { recursive: true })
    const file = `${dir}${this.run.suite}.node-${process.version}.json`
    writeFileSync(file, `${JSON.stringify(this.run, null, 2)}\n`)
    return file
  }

  private need(): Section {
    if (!this.current) throw new Error('Recorder: call section() before row() or figure()')
    return this.current
  }
}
