/**
 * Issue 12, row 13: a reporter who received messages 1–4 reports only 1–2. Every entry
 * verifies and there is no gap, so the report used to read `transcript: { verified: true,
 * gaps: [] }` — nothing said later messages existed. The server knows what it delivered to the
 * reporting device (its inbox) and what that device sent; the `VerifiedReport` now says whether
 * the report reaches the last of them: `transcript.complete` and `transcript.laterDelivered`
 * (how many were left out). One suite, unchanged in every mode; the outcomes must be equal.
 *
 * Real clients against a real server; the cherry-picked report goes once through the client
 * API (`report({ messageIds })`) and once as a hand-made frame on a raw socket attached as the
 * reporter's device. Controls: the cherry-picked entries do verify (the report reached the
 * server and passed every other check), and a report reaching the last message is complete.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReportResult, VerifiedReport } from '@parley/protocol'
import type { Conversation, Message } from '@parley/client'
import { waitFor } from '../helpers/parley.js'
import { logEntries, MODES, rawDevice, received, startWorld, type World } from '../helpers/moderation-world.js'

const outcomes = new Map<string, unknown[]>()

describe.each(MODES)('row 13, report coverage: $name', (mode) => {
  let world: World
  let ab: Conversation // alice's side
  let ba: Conversation // bob's side: bob reports
  let got: Message[] = []
  const seen: unknown[] = []
  outcomes.set(mode.name, seen)

  beforeAll(async () => {
    world = await startWorld({ mode, users: ['alice', 'bob'] })
    ;[ab, ba] = await world.open('alice', 'bob')
    for (const text of ['m1', 'm2', 'm3', 'm4']) {
      await ab.send({ text })
      got.push(await received(ba, text))
    }
  }, 60_000)
  afterAll(async () => {
    await world?.close()
    got = []
  })

  async function onReport(reportId: string): Promise<VerifiedReport> {
    await waitFor(() => world.reports.some((r) => r.reportId === reportId), 10_000, 'onReport')
    const r = world.reports.find((x) => x.reportId === reportId)!
    seen.push({ entries: r.entries.map((e) => [e.text, e.verified]), transcript: r.transcript })
    return r
  }

  it('report of 1–2 after receiving up to 4 (client API) → verified, no gaps, but complete: false, laterDelivered: 2', async () => {
    const ack = await ba.report({ reason: 'cherry-picked', reportId: 'r13-client', messageIds: [got[0]!.id, got[1]!.id] })
    expect(ack).toMatchObject({ verifiedEntries: 2, totalEntries: 2 })
    const r = await onReport('r13-client')
    // Control: the entries reached the server and verify — what the report used to say in full.
    expect(r.entries.map((e) => [e.text, e.verified])).toEqual([['m1', true], ['m2', true]])
    expect(r.transcript).toMatchObject({ verified: true, ordered: true, gaps: [] })
    // The defence: the server says two later delivered messages are left out.
    expect(r.transcript).toMatchObject({ complete: false, laterDelivered: 2 })
  })

  it('the same cherry-pick as a hand-made frame on a raw socket attached as bob\'s device → complete: false, laterDelivered: 2', async () => {
    const entries = (await logEntries(world.users.bob!.keyStore, ba.id)).filter((e) => e.text === 'm1' || e.text === 'm2')
    expect(entries.map((e) => e.text)).toEqual(['m1', 'm2'])
    const raw = await rawDevice(world.url, 'bob', world.users.bob!.keyStore)
    try {
      const res = await raw.request<ReportResult>('report.submit', { reportId: 'r13-raw', conversationId: ba.id, reason: 'cherry-picked', entries })
      expect(res).toMatchObject({ ok: true, data: { verifiedEntries: 2 } })
    } finally {
      raw.close()
    }
    const r = await onReport('r13-raw')
    expect(r.transcript).toEqual({ verified: true, ordered: true, gaps: [], complete: false, laterDelivered: 2 })
  })

  it('a forged far-away entry cannot claim coverage: only verified entries count', async () => {
    const entries = (await logEntries(world.users.bob!.keyStore, ba.id)).filter((e) => e.text === 'm1' || e.text === 'm4')
    const forged = { ...entries[1]!, seq: entries[1]!.seq + 1_000 } // m4 moved far ahead: binding fails
    const raw = await rawDevice(world.url, 'bob', world.users.bob!.keyStore)
    try {
      await raw.request('report.submit', { reportId: 'r13-forged', conversationId: ba.id, reason: 'forged', entries: [entries[0]!, forged] })
    } finally {
      raw.close()
    }
    const r = await onReport('r13-forged')
    expect(r.entries.map((e) => e.verified)).toEqual([true, false])
    expect(r.transcript).toMatchObject({ complete: false, laterDelivered: 3 })
  })

  it('control: a report reaching the last delivered message → complete: true, laterDelivered: 0', async () => {
    const ack = await ba.report({ reason: 'all of it', reportId: 'r13-full', messageIds: got.map((m) => m.id) })
    expect(ack).toMatchObject({ verifiedEntries: 4, totalEntries: 4 })
    const r = await onReport('r13-full')
    expect(r.transcript).toEqual({ verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 })
  })

  it('what the reporter sent counts too: bob replies, the full report of 1–4 now leaves 1 out', async () => {
    await ba.send({ text: 'bob replies' })
    await received(ab, 'bob replies')
    await ba.report({ reason: 'all but my reply', reportId: 'r13-reply', messageIds: got.map((m) => m.id) })
    const r = await onReport('r13-reply')
    expect(r.transcript).toMatchObject({ verified: true, complete: false, laterDelivered: 1 })
  })
})

describe('row 13: identical in every mode', () => {
  it('every mode produced the same entries and transcripts', () => {
    const all = [...outcomes.values()]
    expect(all).toHaveLength(MODES.length)
    expect(all[0]).toHaveLength(5)
    for (const o of all.slice(1)) expect(o).toEqual(all[0])
  })
})
