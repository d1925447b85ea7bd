/**
 * Attachment stores side by side (issue 18, decision 0027): one file written through each
 * `AttachmentStore` in 1 MiB writes (the batches the HTTP routes hand it) and read back whole,
 * for the filesystem store (the default) and the SQL stores' `store.attachments` on PGlite (an
 * on-disk data directory) and PostgreSQL (`DATABASE_URL`; left out with a printed reason when
 * unreachable). Figures are ratios to the filesystem store in the same run, plus the growth of
 * the live JS heap (a full GC every 8 MiB) and of RSS while each store works (the SQL stores hold at most one 256 KiB row when
 * writing and four when reading; PGlite's own buffers are in RSS). Writes
 * bench/results/attachment-stores.txt.
 *
 *   npm run bench:attachment-stores -w @parley/bench    (ATTACHMENT_STORE_MIB=64 by default)
 */
import { writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { randomFillSync } from 'node:crypto'
import pg from 'pg'
import { fileAttachmentStore, pgliteStore, postgresStore, type AttachmentStore } from '@parley/server'
import { load, machineLine } from '../machine.js'

const MIB = 1024 * 1024
const FILE_BYTES = Number(process.env.ATTACHMENT_STORE_MIB ?? 64) * MIB
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const piece = randomFillSync(new Uint8Array(MIB))

interface Row { name: string; upMs: number; downMs: number; heapMiB: number; rssMiB: number }

async function measure(name: string, store: AttachmentStore): Promise<Row> {
  globalThis.gc?.()
  const heap0 = process.memoryUsage().heapUsed
  const rss0 = process.memoryUsage().rss
  let heapMax = heap0
  let rssMax = rss0
  let n = 0
  const sample = () => {
    // Live memory, not garbage V8 has yet to collect: a full GC every 8 MiB (with --expose-gc).
    if (++n % 8 === 0) globalThis.gc?.()
    const m = process.memoryUsage()
    heapMax = Math.max(heapMax, m.heapUsed)
    rssMax = Math.max(rssMax, m.rss)
  }
  const id = `bench${Date.now().toString(36)}`
  await store.create({ id, conversationId: 'c', uploader: 'u', size: FILE_BYTES, createdAt: Date.now() })
  const t0 = performance.now()
  const w = await store.writer(id, 0)
  if (typeof w !== 'object' || w === null) throw new Error(`no writer: ${w}`)
  for (let off = 0; off < FILE_BYTES; off += MIB) (await w.write(piece), sample())
  if ((await w.end(Date.now())) !== FILE_BYTES) throw new Error('short write')
  const upMs = performance.now() - t0
  const t1 = performance.now()
  let got = 0
  for await (const p of store.read(id, 0)) (got += p.length, sample())
  if (got !== FILE_BYTES) throw new Error(`read ${got} of ${FILE_BYTES}`)
  const downMs = performance.now() - t1
  await store.remove(id)
  return { name, upMs, downMs, heapMiB: (heapMax - heap0) / MIB, rssMiB: (rssMax - rss0) / MIB }
}

async function postgresReachable(): Promise<string | null> {
  const c = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 2_000 })
  try {
    await c.connect()
    return null
  } catch (e) {
    return (e as Error).message
  } finally {
    await c.end().catch(() => undefined)
  }
}

const rows: Row[] = []
const dir = await mkdtemp(join(tmpdir(), 'bench-att-stores-'))
try {
  const fs = fileAttachmentStore({ dir: join(dir, 'files') })
  rows.push(await measure('filesystem', fs))
  await fs.close()
  const lite = await pgliteStore({ dataDir: join(dir, 'pglite') })
  rows.push(await measure('pglite store.attachments', lite.attachments))
  await lite.close()
  const why = await postgresReachable()
  if (why) console.warn(`PostgreSQL unreachable at ${DATABASE_URL} (${why}): left out`)
  else {
    const pgs = await postgresStore({ connectionString: DATABASE_URL })
    rows.push(await measure('postgres store.attachments', pgs.attachments))
    await pgs.close()
  }
} finally {
  await rm(dir, { recursive: true, force: true })
}

const base = rows[0]!
const mibps = (ms: number) => FILE_BYTES / MIB / (ms / 1000)
const lines = [
  `Attachment stores: ${FILE_BYTES / MIB} MiB written in 1 MiB writes, read back whole (load ${load()})${globalThis.gc ? '' : ' — without --expose-gc: heap growth includes uncollected garbage'}`,
  machineLine(),
  '| store | write MiB/s | read MiB/s | write vs fs | read vs fs | heap growth MiB | RSS growth MiB |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows.map((r) => `| ${r.name} | ${mibps(r.upMs).toFixed(0)} | ${mibps(r.downMs).toFixed(0)} | ${(base.upMs / r.upMs).toFixed(2)} | ${(base.downMs / r.downMs).toFixed(2)} | ${r.heapMiB.toFixed(1)} | ${r.rssMiB.toFixed(1)} |`),
]
console.log(lines.join('\n'))
writeFileSync(new URL('../results/attachment-stores.txt', import.meta.url), `${lines.join('\n')}\n`)
