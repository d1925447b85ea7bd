/**
 * optional-e2ee: a report whose last N messages span the upgrade (readable before, E2EE
 * after) verifies as one transcript. The mode change takes a seq of its own but is no message
 * and can never be reported, so it is not a gap; a message really left out still is.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { waitFor } from './helpers/parley.js'
import { MODES, received, startWorld, type World } from './helpers/moderation-world.js'

describe('optional-e2ee: a report across the upgrade', () => {
  let world: World | undefined
  afterAll(async () => {
    await world?.close()
  })

  it('verifies, with the mode change not counted as a gap', async () => {
    const w = (world = await startWorld({ mode: MODES.find((m) => m.name === 'optional-e2ee before upgrade')!, users: ['alice', 'bob'] }))
    const [ca, cb] = await w.open('alice', 'bob')
    for (const [from, to, text] of [[ca, cb, 'readable one'], [cb, ca, 'readable two']] as const) {
      await from.send({ text })
      await received(to, text)
    }
    await ca.upgradeToE2EE()
    await waitFor(() => cb.encryption === 'e2ee', 10_000, 'bob pins e2ee')
    for (const [from, to, text] of [[ca, cb, 'secret three'], [cb, ca, 'secret four'], [ca, cb, 'secret five']] as const) {
      await from.send({ text })
      await received(to, text)
    }
    const result = await cb.report({ reason: 'spans the upgrade' })
    expect(result).toMatchObject({ totalEntries: 5, verifiedEntries: 5 })
    await waitFor(() => w.reports.length === 1, 10_000, 'onReport')
    const report = w.reports[0]!
    expect(report.entries.map((e) => e.text)).toEqual(['readable one', 'readable two', 'secret three', 'secret four', 'secret five'])
    const seqs = report.entries.map((e) => e.seq)
    expect(seqs[2]! - seqs[1]!).toBe(2) // the mode change sits between them
    expect(report.transcript).toEqual({ verified: true, ordered: true, gaps: [], complete: true, laterDelivered: 0 })

    // Leaving out a real message across the upgrade is still a gap.
    const history = (await cb.history()).messages
    const ids = history.filter((m) => m.text !== 'secret three' && /readable|secret/.test(m.text)).map((m) => m.id)
    await cb.report({ reason: 'omits one', messageIds: ids })
    await waitFor(() => w.reports.length === 2, 10_000, 'second onReport')
    expect(w.reports[1]!.transcript).toEqual({ verified: false, ordered: true, gaps: [seqs[2]], complete: true, laterDelivered: 0 })
  }, 30_000)
})
