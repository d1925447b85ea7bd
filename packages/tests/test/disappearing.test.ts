/**
 * Disappearing messages (issue 17), one suite over the three policies: any member sets a
 * timer (a signed setting every member's device verifies, shown as a `'disappearing'` event);
 * messages sent after it expire on both clients (log and search index, `'expired'` event) and
 * on the server (rows hidden at once, then deleted by the purge); messages sent before stay; a
 * report filed before expiry keeps its entries; turning it off stops it; a concurrent change
 * by two members settles on one setting on both sides; groups behave the same; bad input is a
 * typed error that sends nothing. Short real timers (1.5 s) and a 100 ms server purge: no long sleeps.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_DISAPPEARING_MS, MIN_DISAPPEARING_MS, type Policy } from '@parley/protocol'
import type { DisappearingEventPayload, ExpiredEventPayload, Message, ParleyClient } from '@parley/client'
import { closeAll, connect, fullHistory, startServer, waitFor, type TestServer } from './helpers/parley.js'

const POLICIES: Policy[] = ['server-side', 'optional-e2ee', 'default-e2ee']
const TIMER_MS = 1_500

let server: TestServer | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients, server })
  server = undefined
})

/** The message rows the server still holds for a conversation (expired ones included until purged). */
async function serverRows(s: TestServer, conversationId: string, viewer: { userId: string; deviceId: string }) {
  const rows = await s.parley.store().history(conversationId, viewer, undefined, 100, 0)
  return rows.filter((r) => r.message.kind === 'message').map((r) => r.message).sort((a, b) => a.seq - b.seq)
}

describe.each(POLICIES)('disappearing messages under %s', (policy) => {
  it('a member sets a timer: both clients verify it, later messages expire on both clients and on the server, earlier ones and reports stay', async () => {
    server = await startServer({ policy, purgeIntervalMs: 100 })
    const tag = Math.random().toString(36).slice(2, 8)
    const alice = await connect(server.url, `alice-${tag}`)
    const bob = await connect(server.url, `bob-${tag}`)
    clients.push(alice, bob)
    const ca = await alice.conversations.open(`bob-${tag}`)
    const bobGot: Message[] = []
    bob.on('message', (m) => m.status === 'received' && bobGot.push(m))
    const aliceGot: Message[] = []
    alice.on('message', (m) => m.status === 'received' && aliceGot.push(m))
    await ca.send({ text: 'before the timer: kept' })
    await waitFor(() => bobGot.length === 1, 15_000, 'the first message at bob')
    const cb = bob.conversations.get(ca.id)!

    const seen: Record<string, DisappearingEventPayload[]> = { alice: [], bob: [] }
    alice.on('disappearing', (e) => seen.alice!.push(e))
    cb.on('disappearing', (e) => seen.bob!.push(e))
    const expired: Record<string, ExpiredEventPayload[]> = { alice: [], bob: [] }
    alice.on('expired', (e) => expired.alice!.push(e))
    bob.on('expired', (e) => expired.bob!.push(e))

    await ca.setDisappearing(TIMER_MS)
    expect(ca.disappearingMs).toBe(TIMER_MS)
    await waitFor(() => cb.disappearingMs === TIMER_MS, 10_000, 'bob pins the timer')
    for (const who of ['alice', 'bob']) expect(seen[who]).toEqual([expect.objectContaining({ conversationId: ca.id, ms: TIMER_MS, version: 1, by: { userId: `alice-${tag}`, deviceId: alice.deviceId } })])

    const sent = await ca.send({ text: 'ephemeral quokka from alice' })
    await cb.send({ text: 'ephemeral wombat from bob' })
    await waitFor(() => bobGot.length === 2 && aliceGot.length === 1, 15_000, 'both timed messages')
    // The server stamped both with the timer (the store hides them once it passes, then purges them).
    const rows = await serverRows(server, ca.id, { userId: `bob-${tag}`, deviceId: bob.deviceId })
    expect(rows.map((m) => m.expiresAt !== undefined)).toEqual([false, true, true])
    // Stamped when the server accepted the send, just before the commit assigned `ts`: never later than ts + ms.
    expect(rows[1]!.expiresAt! - rows[1]!.ts).toBeLessThanOrEqual(TIMER_MS)
    expect(rows[1]!.expiresAt! - rows[1]!.ts).toBeGreaterThan(TIMER_MS - 1_000)
    // A report filed before expiry keeps its entries (the report is a separate, sealed record).
    const reported = bobGot[1]!
    const result = await cb.report({ reason: 'keeps the evidence', messageIds: [reported.id] })
    expect(result.verifiedEntries).toBe(1)
    expect(await alice.search('quokka')).toHaveLength(1)

    await waitFor(() => expired.alice!.flatMap((e) => e.messageIds).length === 2 && expired.bob!.flatMap((e) => e.messageIds).length === 2, 10_000, 'expiry on both clients')
    expect(expired.alice!.flatMap((e) => e.messageIds)).toContain(sent.messageId)
    for (const c of [alice, bob]) {
      expect((await fullHistory(c, ca.id)).map((m) => m.text)).toEqual(['before the timer: kept'])
      expect(await c.search('quokka')).toEqual([])
      expect(await c.search('wombat')).toEqual([])
    }
    await waitFor(async () => (await serverRows(server!, ca.id, { userId: `bob-${tag}`, deviceId: bob.deviceId })).length === 1, 10_000, 'the server purges the rows')
    const report = await server.parley.getReport(`bob-${tag}`, result.reportId)
    expect(report!.entries.map((e) => [e.text, e.verified])).toEqual([['ephemeral quokka from alice', true]])

    // Any member turns it off; later messages stay everywhere.
    await cb.setDisappearing(null)
    await waitFor(() => ca.disappearingMs === null && seen.alice!.length === 2, 10_000, 'alice sees the timer off')
    expect(seen.alice![1]).toMatchObject({ ms: null, version: 2, by: { userId: `bob-${tag}` } })
    await ca.send({ text: 'after the timer: kept' })
    await waitFor(() => bobGot.length === 3, 15_000, 'the last message')
    const last = await serverRows(server, ca.id, { userId: `bob-${tag}`, deviceId: bob.deviceId })
    expect(last.at(-1)!.expiresAt).toBeUndefined()
  })

  it('two members change it at once: both calls succeed and both sides settle on the same signed setting', async () => {
    server = await startServer({ policy })
    const tag = Math.random().toString(36).slice(2, 8)
    const alice = await connect(server.url, `alice-${tag}`)
    const bob = await connect(server.url, `bob-${tag}`)
    clients.push(alice, bob)
    const ca = await alice.conversations.open(`bob-${tag}`)
    const cb = await bob.conversations.open(`alice-${tag}`)
    await Promise.all([ca.setDisappearing(60_000), cb.setDisappearing(120_000)])
    await waitFor(() => ca.disappearingMs !== null && ca.disappearingMs === cb.disappearingMs, 10_000, 'one setting on both sides')
    const stored = (await server.parley.store().getConversation(ca.id))!.disappearing!
    expect(stored.version).toBe(2)
    expect(ca.disappearingMs).toBe(stored.ms)
  })

  it('groups: a member who is not an admin sets it; every member\'s copy expires', async () => {
    server = await startServer({ policy, purgeIntervalMs: 100 })
    const tag = Math.random().toString(36).slice(2, 8)
    const [alice, bob, carol] = [await connect(server.url, `alice-${tag}`), await connect(server.url, `bob-${tag}`), await connect(server.url, `carol-${tag}`)]
    clients.push(alice, bob, carol)
    const group = await alice.conversations.create({ members: [`bob-${tag}`, `carol-${tag}`], title: 'ephemeral' })
    await waitFor(() => !!carol.conversations.get(group.id)?.members.length && !!bob.conversations.get(group.id)?.members.length, 15_000, 'the group at bob and carol')
    const gc = carol.conversations.get(group.id)!
    await gc.setDisappearing(TIMER_MS)
    await waitFor(() => group.disappearingMs === TIMER_MS && bob.conversations.get(group.id)!.disappearingMs === TIMER_MS, 10_000, 'everyone pins it')
    const got: Record<string, number> = { bob: 0, carol: 0 }
    bob.on('message', (m) => m.status === 'received' && got.bob++)
    carol.on('message', (m) => m.status === 'received' && got.carol++)
    const gone: Record<string, number> = { alice: 0, bob: 0, carol: 0 }
    for (const [who, c] of [['alice', alice], ['bob', bob], ['carol', carol]] as const) c.on('expired', (e) => (gone[who] += e.messageIds.length))
    await group.send({ text: 'ephemeral group note' })
    await waitFor(() => got.bob === 1 && got.carol === 1, 15_000, 'the group message')
    await waitFor(() => gone.alice === 1 && gone.bob === 1 && gone.carol === 1, 10_000, 'expiry at every member')
    for (const c of [alice, bob, carol]) expect((await fullHistory(c, group.id)).filter((m) => m.text === 'ephemeral group note')).toEqual([])
    await waitFor(async () => (await serverRows(server!, group.id, { userId: `alice-${tag}`, deviceId: alice.deviceId })).length === 0, 10_000, 'the server purges the row')
  })

  it('bad input is a typed error and sends nothing', async () => {
    server = await startServer({ policy })
    const tag = Math.random().toString(36).slice(2, 8)
    const alice = await connect(server.url, `alice-${tag}`)
    const bob = await connect(server.url, `bob-${tag}`)
    clients.push(alice, bob)
    const ca = await alice.conversations.open(`bob-${tag}`)
    const bad: [unknown, string][] = [
      [MIN_DISAPPEARING_MS - 1, 'RangeError'], [MAX_DISAPPEARING_MS + 1, 'RangeError'], [1_500.5, 'RangeError'], [Number.NaN, 'RangeError'],
      [-5_000, 'RangeError'], ['60000', 'TypeError'], [undefined, 'TypeError'], [{}, 'TypeError'],
    ]
    for (const [ms, name] of bad) {
      const e = await ca.setDisappearing(ms as number).then(() => null, (err: Error) => err)
      expect(e?.name, String(ms)).toBe(name)
    }
    expect(ca.disappearingMs).toBeNull()
    expect((await server.parley.store().getConversation(ca.id))!.disappearing).toBeUndefined()
    // The bounds themselves are accepted.
    await ca.setDisappearing(MIN_DISAPPEARING_MS)
    await ca.setDisappearing(MAX_DISAPPEARING_MS)
    expect((await server.parley.store().getConversation(ca.id))!.disappearing).toMatchObject({ ms: MAX_DISAPPEARING_MS, version: 2 })
  })
})
