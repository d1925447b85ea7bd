/**
 * Report forgery in every mode (issue 8): a reporter who sends hand-made `report.submit`
 * frames (a raw socket attached as its registered device) with edited, swapped-in,
 * re-attributed, replayed or never-received entries gets `verified: false` with the reason
 * for exactly those entries — never dropped, order kept — and the genuine entries beside them
 * still verify. The same cases run unchanged in each mode and must come out the same.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { randomBytes } from 'node:crypto'
import { toBase64, type ReportEntry, type ReportResult, type VerifiedReport } from '@parley/protocol'
import { frankMessage } from '@parley/crypto'
import type { Conversation } from '@parley/client'
import { waitFor } from './helpers/parley.js'
import { logEntries, MODES, rawDevice, received, startWorld, type RawDevice, type World } from './helpers/moderation-world.js'

type Outcome = 'ok' | NonNullable<VerifiedReport['entries'][number]['failure']>

const recorded = new Map<string, Record<string, unknown>>()
let counter = 0
const newReportId = () => `r-forgery-${++counter}-${randomBytes(4).toString('hex')}`

describe.each(MODES)('report forgery: $name', (mode) => {
  let world: World
  let ab: Conversation // bob's side of alice ↔ bob, the conversation bob reports
  let bc: Conversation // bob's side of bob ↔ carol
  let ac: Conversation // carol's side of alice ↔ carol (bob is not in it)
  let asBob: RawDevice
  let genuine: ReportEntry[] // the last 4 messages of alice ↔ bob, from bob's log
  let fromBc: ReportEntry // a message bob received in another conversation
  let neverSeen: ReportEntry // a message of alice ↔ carol (leaked to bob)
  const outcome: Record<string, unknown> = {}
  recorded.set(mode.name, outcome)

  beforeAll(async () => {
    world = await startWorld({ mode, users: ['alice', 'bob', 'carol'] })
    const [abAlice, abBob] = await world.open('alice', 'bob')
    const [bcBob, bcCarol] = await world.open('bob', 'carol')
    const [acAlice, acCarol] = await world.open('alice', 'carol')
    ab = abBob
    bc = bcBob
    ac = acCarol
    for (const [from, to, text] of [[abAlice, abBob, 'ab one'], [abBob, abAlice, 'ab two'], [abAlice, abBob, 'ab three'], [abBob, abAlice, 'ab four']] as const) {
      await from.send({ text })
      await received(to, text)
    }
    // Filler first, so the other conversations' messages have seqs no alice ↔ bob entry has
    // (a clashing seq would be reported as duplicate_entry before its binding is checked).
    for (let i = 0; i < 8; i++) {
      await bcCarol.send({ text: `bc filler ${i}` })
      await acAlice.send({ text: `ac filler ${i}` })
    }
    await bcCarol.send({ text: 'bc one' })
    await received(bc, 'bc one')
    await acAlice.send({ text: 'ac one' })
    await received(ac, 'ac one')
    const bob = world.users.bob!
    genuine = (await logEntries(bob.keyStore, ab.id)).filter((e) => e.text.startsWith('ab '))
    expect(genuine.map((e) => e.text)).toEqual(['ab one', 'ab two', 'ab three', 'ab four'])
    fromBc = (await logEntries(bob.keyStore, bc.id)).find((e) => e.text === 'bc one')!
    neverSeen = (await logEntries(world.users.carol!.keyStore, ac.id)).find((e) => e.text === 'ac one')!
    expect(fromBc && neverSeen).toBeTruthy()
    expect(fromBc.seq).toBeGreaterThan(genuine[3]!.seq + 1)
    expect(neverSeen.seq).toBeGreaterThan(genuine[3]!.seq + 1)
    expect((await logEntries(bob.keyStore, ac.id))).toEqual([])
    asBob = await rawDevice(world.url, 'bob', bob.keyStore)
  }, 60_000)
  afterAll(async () => {
    asBob?.close()
    await world?.close()
  })

  /** Submits a hand-made report as `device`; returns the ack and the report onReport received. */
  async function submit(entries: ReportEntry[], conversationId = ab.id, reportId = newReportId(), device = asBob): Promise<{ ack: ReportResult; report: VerifiedReport }> {
    const res = await device.request<ReportResult>('report.submit', { reportId, conversationId, reason: 'forgery test', entries })
    if (!res.ok) throw new Error(`report refused: ${JSON.stringify(res.error)}`)
    await waitFor(() => world.reports.some((r) => r.reportId === reportId), 10_000, 'onReport')
    const report = world.reports.find((r) => r.reportId === reportId)!
    // Never dropped, order kept, content as claimed.
    expect(report.entries.map((e) => [e.messageId, e.seq, e.text])).toEqual(entries.map((e) => [e.messageId, e.seq, e.text]))
    expect(res.data).toEqual({ reportId, duplicate: false, totalEntries: entries.length, verifiedEntries: report.entries.filter((e) => e.verified).length })
    return { ack: res.data, report }
  }

  const outcomes = (r: VerifiedReport): Outcome[] => r.entries.map((e) => (e.verified ? 'ok' : e.failure!))
  /** The transcript with gap seqs named by the submitted entry they belong to (seqs differ per mode). */
  const transcriptOf = (r: VerifiedReport, entries: ReportEntry[]) => ({
    verified: r.transcript.verified,
    ordered: r.transcript.ordered,
    gaps: r.transcript.gaps.map((s) => entries.findIndex((e) => e.seq === s && e.conversationId === ab.id)),
  })
  const record = (name: string, r: VerifiedReport, entries: ReportEntry[]) => {
    const list = (outcome[name] ??= []) as unknown[]
    list.push({ outcomes: outcomes(r), transcript: transcriptOf(r, entries) })
  }

  it('genuine entries sent as a raw frame verify (the baseline)', async () => {
    const { report } = await submit(genuine)
    expect(outcomes(report)).toEqual(['ok', 'ok', 'ok', 'ok'])
    expect(report.transcript).toEqual({ verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 })
    record('genuine', report, genuine)
  })

  it('a message left out is named as a gap; the entries around it still verify', async () => {
    const entries = [genuine[0]!, genuine[2]!, genuine[3]!]
    const { report } = await submit(entries)
    expect(outcomes(report)).toEqual(['ok', 'ok', 'ok'])
    expect(report.transcript).toEqual({ verified: false, ordered: true, gaps: [genuine[1]!.seq], complete: true, laterDelivered: 0 })
    record('omitted', report, entries)
  })

  it('an edited message (text, attachments, time or seq) fails for exactly that entry', async () => {
    const g = genuine
    const cases: [ReportEntry[], Outcome[]][] = [
      [[g[0]!, { ...g[1]!, text: 'ab two, but worse' }, g[2]!, g[3]!], ['ok', 'bad_opening', 'ok', 'ok']],
      [[g[0]!, g[1]!, { ...g[2]!, attachments: [{ name: 'x.png', mime: 'image/png', size: 3, sha256: toBase64(new Uint8Array(32)) }] }, g[3]!], ['ok', 'ok', 'bad_opening', 'ok']],
      [[{ ...g[0]!, ts: g[0]!.ts - 60_000 }, g[1]!, g[2]!, g[3]!], ['bad_binding', 'ok', 'ok', 'ok']],
      [[g[0]!, g[1]!, g[2]!, { ...g[3]!, seq: g[3]!.seq + 10 }], ['ok', 'ok', 'ok', 'bad_binding']],
    ]
    for (const [entries, expected] of cases) {
      const { report } = await submit(entries)
      expect(outcomes(report)).toEqual(expected)
      expect(report.transcript.verified).toBe(false)
      record('edited', report, entries)
    }
    // The edited text is kept as the reporter claimed it, marked unverified.
    const edited = world.reports.find((r) => r.entries.some((e) => e.text === 'ab two, but worse'))!
    expect(edited.entries[1]).toMatchObject({ text: 'ab two, but worse', verified: false, failure: 'bad_opening' })
    expect(edited.transcript.gaps).toEqual([g[1]!.seq])
  })

  it('a message swapped in from another conversation fails (as is: wrong_conversation; relabelled: bad_binding)', async () => {
    const g = genuine
    for (const [swapped, failure] of [[fromBc, 'wrong_conversation'], [{ ...fromBc, conversationId: ab.id }, 'bad_binding']] as const) {
      const entries = [g[0]!, g[1]!, g[2]!, g[3]!, swapped]
      const { report } = await submit(entries)
      expect(outcomes(report)).toEqual(['ok', 'ok', 'ok', 'ok', failure])
      expect(report.transcript.verified).toBe(false)
      record('swapped', report, entries)
    }
  })

  it('a message attributed to another sender fails with bad_binding', async () => {
    const g = genuine
    const carol = { userId: 'carol', deviceId: world.users.carol!.client.deviceId }
    const alice = { userId: 'alice', deviceId: world.users.alice!.client.deviceId }
    const bobOther = { userId: 'bob', deviceId: 'another-device' }
    expect(g[0]!.sender).toEqual(alice)
    const entries = [{ ...g[0]!, sender: carol }, { ...g[1]!, sender: alice }, g[2]!, { ...g[3]!, sender: bobOther }]
    const { report } = await submit(entries)
    expect(outcomes(report)).toEqual(['bad_binding', 'bad_binding', 'ok', 'bad_binding'])
    expect(report.entries[0]!.sender).toEqual(carol)
    record('sender', report, entries)
  })

  it('a replayed report: the same id is one report (the first stands); a new id re-verifies genuine entries; another conversation or reporter fails', async () => {
    const reportId = newReportId()
    const first = await submit(genuine, ab.id, reportId)
    const storedBefore = await world.parley.store().countReports()
    // Same id again, even with different content: a duplicate of the first, nothing new.
    const replay = await asBob.request<ReportResult>('report.submit', { reportId, conversationId: ab.id, reason: 'again', entries: [{ ...genuine[0]!, text: 'changed' }] })
    expect(replay).toEqual({ ok: true, data: { ...first.ack, duplicate: true } })
    await new Promise((r) => setTimeout(r, 100))
    expect(world.reports.filter((r) => r.reportId === reportId)).toHaveLength(1)
    expect(await world.parley.store().countReports()).toBe(storedBefore)
    expect(await world.parley.getReport('bob', reportId)).toEqual(first.report)

    // A new id with the old entries is a new report of genuine messages: they verify again.
    const again = await submit(genuine)
    expect(outcomes(again.report)).toEqual(['ok', 'ok', 'ok', 'ok'])
    record('replay', again.report, genuine)

    // Replayed into another conversation of the reporter: every entry is wrong_conversation.
    const moved = await submit(genuine, bc.id)
    expect(outcomes(moved.report)).toEqual(['wrong_conversation', 'wrong_conversation', 'wrong_conversation', 'wrong_conversation'])
    expect(moved.report.transcript.verified).toBe(false)
    record('replay', moved.report, genuine)

    // Replayed by someone else: not a member of the conversation → refused; in their own → wrong_conversation.
    const asCarol = await rawDevice(world.url, 'carol', world.users.carol!.keyStore)
    try {
      const refused = await asCarol.request('report.submit', { reportId: newReportId(), conversationId: ab.id, reason: 'stolen', entries: genuine })
      expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } })
      const stolen = await submit(genuine, ac.id, newReportId(), asCarol)
      expect(outcomes(stolen.report)).toEqual(['wrong_conversation', 'wrong_conversation', 'wrong_conversation', 'wrong_conversation'])
      expect(stolen.report.reporter.userId).toBe('carol')
      record('replay', stolen.report, genuine)
    } finally {
      asCarol.close()
    }
  })

  it('a message the reporter never received fails: leaked, re-labelled, fabricated id or fabricated message', async () => {
    const g = genuine
    const { nf, tf } = frankMessage({ text: 'alice never said this', attachments: [] })
    const fabricated: ReportEntry = {
      messageId: 'm_fabricated', conversationId: ab.id, seq: g[3]!.seq + 1, ts: g[3]!.ts + 1, sender: g[0]!.sender,
      text: 'alice never said this', attachments: [], nf, tf, rf: toBase64(randomBytes(32)), kid: g[0]!.kid,
    }
    const cases: [ReportEntry[], Outcome[]][] = [
      // A message of a conversation the reporter is not in (leaked to it), as is and relabelled.
      [[g[0]!, g[1]!, g[2]!, g[3]!, neverSeen], ['ok', 'ok', 'ok', 'ok', 'wrong_conversation']],
      [[g[0]!, g[1]!, g[2]!, g[3]!, { ...neverSeen, conversationId: ab.id }], ['ok', 'ok', 'ok', 'ok', 'bad_binding']],
      // A genuine opening under the id of a message it never received, or of no message at all.
      [[g[0]!, { ...g[1]!, messageId: neverSeen.messageId }, g[2]!, g[3]!], ['ok', 'not_delivered_to_reporter', 'ok', 'ok']],
      [[g[0]!, g[1]!, { ...g[2]!, messageId: 'm_does_not_exist' }, g[3]!], ['ok', 'ok', 'not_delivered_to_reporter', 'ok']],
      // A fabricated message: a valid commitment, no server binding; or a key the server never had.
      [[g[0]!, g[1]!, g[2]!, g[3]!, fabricated], ['ok', 'ok', 'ok', 'ok', 'bad_binding']],
      [[g[0]!, g[1]!, g[2]!, g[3]!, { ...fabricated, kid: 'fk-never-issued' }], ['ok', 'ok', 'ok', 'ok', 'unknown_key']],
      // The same message twice.
      [[g[0]!, g[1]!, g[1]!, g[2]!, g[3]!], ['ok', 'ok', 'duplicate_entry', 'ok', 'ok']],
    ]
    for (const [entries, expected] of cases) {
      const { report } = await submit(entries)
      expect(outcomes(report)).toEqual(expected)
      expect(report.transcript.verified).toBe(false)
      record('never-received', report, entries)
    }
  })
})

describe('report forgery: across modes', () => {
  it('every mode gave the same verdict for every forged entry', () => {
    const [first, ...rest] = MODES.map((m) => recorded.get(m.name)!)
    expect(Object.keys(first!).sort()).toEqual(['edited', 'genuine', 'never-received', 'omitted', 'replay', 'sender', 'swapped'])
    for (const other of rest) expect(other).toEqual(first)
  })
})
