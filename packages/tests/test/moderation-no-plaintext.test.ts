/**
 * default-e2ee keeps plaintext off the server (issue 8): after a full conversation (messages,
 * attachments, a flag, receipts, typing, a modified client trying to send readable content,
 * a report with a pino log sink) every row of every table of the server's PGlite store and
 * every line the server logged (pino at level trace) is searched for each message's text,
 * attachment name and attachment bytes — raw, base64 and hex. No row holds any of it: the
 * explicit report carries the reported messages' text and attachment names, but it is sealed at
 * rest with the server's data key (issue 12, row 14) and only `parley.getReport()` opens it.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { PGlite } from '@electric-sql/pglite'
import { toBase64 } from '@parley/protocol'
import { frankMessage } from '@parley/crypto'
import { keywordFilter, logSink } from '@parley/moderation'
import { pgliteStore } from '@parley/server'
import { waitFor } from './helpers/parley.js'
import { MODES, received, rawDevice, startWorld, type World } from './helpers/moderation-world.js'
import { holds } from './helpers/plaintext-scan.js'

const tag = randomBytes(4).toString('hex')
const marker = (what: string) => `PLAIN-${what}-${tag}`

const e2ee = MODES.find((m) => m.name === 'default-e2ee')!

describe('default-e2ee: no plaintext in the server store or logs', () => {
  let world: World | undefined
  afterAll(async () => {
    await world?.close()
  })

  it('holds no plaintext in any row (the report is sealed) nor in the logs', async () => {
    const db = await PGlite.create()
    const sinkLines: string[] = []
    const flagWords = keywordFilter({ name: 'flag-words', words: ['suspicious'], action: 'flag' })
    world = await startWorld({
      mode: e2ee,
      users: ['alice', 'bob'],
      plugins: [flagWords],
      store: pgliteStore({ pglite: db }),
      extraServerPlugins: [logSink({ logger: { info: (obj, msg) => void sinkLines.push(JSON.stringify({ msg, ...obj })) } })],
    })
    const w = world
    const [ca, cb] = await w.open('alice', 'bob')

    const unreported = [marker('text-0'), marker('text-1'), `${marker('text-2')} suspicious`]
    const reported = [marker('text-3'), marker('text-4'), marker('text-5'), marker('text-6'), marker('text-7')]
    const hiddenFile = { name: `${marker('file-name-0')}.txt`, mime: 'text/plain', data: Buffer.from(`${marker('file-bytes-0')} hidden bytes`) }
    const reportedFile = { name: `${marker('file-name-1')}.txt`, mime: 'text/plain', data: Buffer.from(`${marker('file-bytes-1')} reported bytes`) }
    const sends: [typeof ca, string, (typeof hiddenFile)[]][] = [
      [ca, unreported[0]!, []], [cb, unreported[1]!, [hiddenFile]], [ca, unreported[2]!, []],
      [cb, reported[0]!, []], [ca, reported[1]!, [reportedFile]], [cb, reported[2]!, []], [ca, reported[3]!, []], [cb, reported[4]!, []],
    ]
    for (const [from, text, attachments] of sends) {
      await from.typing(true)
      await from.send({ text, attachments: attachments.map((a) => ({ ...a, data: new Uint8Array(a.data) })) })
      await received(from === ca ? cb : ca, text)
    }
    await cb.markRead()
    await ca.markRead()
    await waitFor(() => w.flags.length === 2, 10_000, 'client-side flags')

    // A modified client tries to push readable content into the E2EE conversation: refused.
    const probe = marker('downgrade-probe')
    const raw = await rawDevice(w.url, 'alice', w.users.alice!.keyStore)
    try {
      const { nf, tf } = frankMessage({ text: probe, attachments: [] })
      const refused = await raw.request('message.send', {
        conversationId: ca.id, clientMessageId: 'm-probe', tf, mode: 'server-side', body: { text: probe, nf, attachments: [] },
      })
      expect(refused).toMatchObject({ ok: false, error: { code: 'downgrade_rejected' } })
    } finally {
      raw.close()
    }

    const result = await cb.report({ reason: 'abuse', reportId: 'r-no-plaintext' })
    // The last 5 messages and, after them, both read receipts (franked messages of their own; docs/messages.md).
    expect(result).toMatchObject({ totalEntries: 7, verifiedEntries: 7 })
    await waitFor(() => w.reports.length === 1 && sinkLines.length === 1, 10_000, 'report handled')

    // Every row of every table.
    const tables = (await db.query<{ schema: string; name: string }>(
      `SELECT table_schema AS schema, table_name AS name FROM information_schema.tables
       WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_type = 'BASE TABLE' ORDER BY 1, 2`,
    )).rows
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(['messages', 'inbox', 'reports', 'conversations', 'devices', 'users', 'notices']))
    const dump: Record<string, unknown[]> = {}
    for (const t of tables) dump[`${t.schema}.${t.name}`] = (await db.query(`SELECT * FROM "${t.schema}"."${t.name}"`)).rows
    const messageRows = dump['public.messages'] as { mode: string; body: string | null; kind: string }[]
    expect(messageRows.filter((m) => m.kind === 'message')).toHaveLength(8 + 2) // 8 messages, 2 read receipts
    expect(messageRows.every((m) => m.mode === 'e2ee' && m.body === null)).toBe(true)
    expect(dump['public.reports']).toHaveLength(1)

    const logs = [...w.logs, ...sinkLines]
    expect(w.logs.some((l) => l.includes('frame refused'))).toBe(true) // the capture works
    const never = [...unreported, hiddenFile.name, marker('file-bytes-0'), marker('file-bytes-1'), probe]
    const onlyInReports = [...reported, reportedFile.name]
    for (const secret of [...never, ...onlyInReports]) {
      const where = Object.entries(dump).filter(([, rows]) => holds(rows, secret)).map(([table]) => table)
      expect({ secret, where }).toEqual({ secret, where: [] })
      expect({ secret, inLogs: logs.filter((l) => holds(l, secret)) }).toEqual({ secret, inLogs: [] })
    }
    // The scan is not blind: the reported text is in the report once opened, and found in each encoding.
    const opened = await w.parley.getReport('bob', 'r-no-plaintext')
    for (const secret of onlyInReports) expect(holds(opened, secret)).toBe(true)
    expect(holds(toBase64(Buffer.from(`xx${reported[0]}yy`)), reported[0]!)).toBe(true)
    expect(holds(Buffer.from(`x${reported[0]}`).toString('hex'), reported[0]!)).toBe(true)
    expect(w.errors.map((e) => `${e.at}: ${e.error.code}`)).toEqual([])
  }, 60_000)
})
