/**
 * Backups and history transfers keep plaintext off the server (issue 17): in a default-e2ee
 * world on PGlite with its data directory on disk and the server logging at trace level, alice
 * backs up her history and links a second device (which fetches the transferred history). Every
 * row of every table, every file of the data directory, every chunk the blob store was handed
 * and every log line is then searched for each message's text and attachment name — raw, base64
 * and hex, as the moderation no-plaintext test does. None holds any. The scan is not blind: the
 * backup and the transfer did go through the store (chunks seen), and restoring the backup with
 * the recovery key brings the same texts back.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PGlite } from '@electric-sql/pglite'
import { memoryKeyStore, requestDeviceLink, restoreFromBackup, type ParleyClient } from '@parley/client'
import { pgliteStore } from '@parley/server'
import { pgliteTemplate } from '../../../server/test/helpers/pglite.js'
import { fullHistory } from '../helpers/parley.js'
import { MODES, received, startWorld, type World } from '../helpers/moderation-world.js'
import { encodings, holds } from '../helpers/plaintext-scan.js'

const tag = randomBytes(4).toString('hex')
const marker = (what: string) => `PLAIN-${what}-${tag}`

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? filesUnder(path) : [path]
  })
}

const e2ee = MODES.find((m) => m.name === 'default-e2ee')!

describe('default-e2ee: backups and history transfers hold no plaintext on the server', () => {
  let world: World | undefined
  const extra: ParleyClient[] = []
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-backup-pglite-'))
  afterAll(async () => {
    for (const c of extra) await c.close().catch(() => {})
    await world?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('no row, data-directory file, stored chunk or log line holds a message text or file name', async () => {
    // From the migrated template (a cold initdb on disk takes tens of seconds here).
    const db = await PGlite.create({ dataDir, loadDataDir: await pgliteTemplate() })
    const store = await pgliteStore({ pglite: db })
    const chunks: string[] = []
    const put = store.blobs.putChunk.bind(store.blobs)
    store.blobs.putChunk = (p) => {
      chunks.push(`${p.slot} ${p.data}`)
      return put(p)
    }
    world = await startWorld({ mode: e2ee, users: ['alice', 'bob'], store })
    const w = world
    const [ca, cb] = await w.open('alice', 'bob')
    const texts = [marker('text-0'), marker('text-1'), marker('text-2'), marker('text-3')]
    const file = { name: `${marker('file-name')}.txt`, mime: 'text/plain', data: new Uint8Array(Buffer.from(`${marker('file-bytes')} bytes`)) }
    await ca.send({ text: texts[0]!, attachments: [file] })
    await received(cb, texts[0]!)
    await cb.send({ text: texts[1]! })
    await received(ca, texts[1]!)
    await ca.send({ text: texts[2]! })
    await received(cb, texts[2]!)
    await cb.send({ text: texts[3]! })
    await received(ca, texts[3]!)

    const alice = w.users.alice!.client
    const { recoveryKey } = await alice.backup.enable()
    const link = await requestDeviceLink({ deliveryReceipts: false, url: w.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] } })
    await alice.linkDevice(link.code)
    const alice2 = await link.client
    extra.push(alice2)
    await alice2.whenReady()
    // Control: the transferred history opened on the new device, and both blobs went through the store.
    expect((await fullHistory(alice2, ca.id)).map((m) => m.text)).toEqual(texts)
    expect(chunks.some((c) => c.startsWith('backup '))).toBe(true)
    expect(chunks.some((c) => c.startsWith('transfer.'))).toBe(true)

    const tables = (await db.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
    )).rows
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['blobs', 'blob_chunks', 'messages']))
    const dump: Record<string, unknown[]> = {}
    for (const t of tables) dump[`${t.schema}.${t.name}`] = (await db.query(`SELECT * FROM "${t.schema}"."${t.name}"`)).rows
    expect((dump['public.blob_chunks'] ?? []).length).toBeGreaterThan(0) // the backup is stored
    await db.query('CHECKPOINT')
    const files = filesUnder(dataDir).map((path) => ({ path, text: readFileSync(path).toString('latin1') }))
    expect(files.length).toBeGreaterThan(10)

    for (const secret of [...texts, file.name, marker('file-bytes')]) {
      const where = Object.entries(dump).filter(([, rows]) => holds(rows, secret)).map(([table]) => table)
      expect({ secret, where }).toEqual({ secret, where: [] })
      expect({ secret, files: files.filter((f) => encodings(secret).some((e) => f.text.includes(e))).map((f) => f.path) }).toEqual({ secret, files: [] })
      expect({ secret, chunks: chunks.filter((c) => holds(c, secret)).length }).toEqual({ secret, chunks: 0 })
      expect({ secret, inLogs: w.logs.filter((l) => holds(l, secret)) }).toEqual({ secret, inLogs: [] })
    }
    expect(w.logs.length).toBeGreaterThan(0) // the capture works

    // Not blind: the backup holds the texts, for whoever has the recovery key.
    const restored = await restoreFromBackup({ url: w.url, token: 'alice', keyStore: memoryKeyStore(), socketOptions: { transports: ['websocket'] }, recoveryKey, keepOtherDevices: true })
    extra.push(restored)
    const back = (await fullHistory(restored, ca.id)).map((m) => m.text)
    expect(back).toEqual(texts)
    expect(holds(Buffer.from(`xx${texts[0]}yy`).toString('base64'), texts[0]!)).toBe(true)
  }, 120_000)
})
