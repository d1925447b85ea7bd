/**
 * The bounds of the message actions (decision 0021; docs/messages.md), every policy, 1:1 and
 * group: a message takes at most `MAX_EDITS_PER_MESSAGE` edits and one user at most
 * `MAX_REACTIONS_PER_USER` emoji on it (`action_limit`, thrown before anything is queued); a
 * last-N report over a message edited to the bound still carries its whole chain, the
 * original first, every version verified (before 0021, 50 edits pushed the original out).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { MAX_EDITS_PER_MESSAGE, MAX_REACTIONS_PER_USER } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { CASES, code, messagesWorld, updated, type MessagesWorld } from './_messages-world.js'

let w: MessagesWorld
afterEach(async () => w?.close())

const EMOJI = ['😀', '😁', '😂', '🤣', '😃', '😄', '😅', '😆', '😉', '😊', '😋', '😎', '😍', '😘', '🥰', '😗', '😙', '🥲', '😚', '🙂', '🤗']

describe.each(CASES)('message action bounds ($policy, $kind)', ({ policy, kind }) => {
  it('edits and reactions stop at their bounds; the report carries the whole chain', async () => {
    w = await messagesWorld(policy, kind)
    const { alice, bob } = w
    const m = await alice.c.send({ text: 'v0' })
    await waitFor(() => bob.got.some((x) => x.id === m.messageId), 10_000, 'm reached bob')
    for (let v = 1; v <= MAX_EDITS_PER_MESSAGE; v++) await alice.c.edit(m.messageId, { text: `v${v}` })
    const before = await alice.client.pendingCount()
    expect(await code(alice.c.edit(m.messageId, { text: 'one too many' }))).toBe('action_limit')
    for (let i = 0; i < MAX_REACTIONS_PER_USER; i++) await bob.c.react(m.messageId, EMOJI[i]!)
    expect(await code(bob.c.react(m.messageId, EMOJI[MAX_REACTIONS_PER_USER]!))).toBe('action_limit')
    expect(await code(bob.c.react(m.messageId, EMOJI[0]!))).toBe('resolved') // control: a held emoji is no new one
    expect(await alice.client.pendingCount()).toBe(before)
    const shown = await updated(bob, m.messageId, (x) => x.text === `v${MAX_EDITS_PER_MESSAGE}` && Object.keys(x.reactions ?? {}).length === MAX_REACTIONS_PER_USER, 'bounds reached on bob')
    expect(shown.versions).toHaveLength(MAX_EDITS_PER_MESSAGE)

    // The last-N report (N = 5: reactions) still brings the message and its whole edit chain.
    await alice.c.report({ reason: 'recent', reportId: 'r-bounds' })
    await waitFor(() => w.server.reports.some((r) => r.reportId === 'r-bounds'), 10_000, 'report')
    const r = w.server.reports.find((x) => x.reportId === 'r-bounds')!
    const chain = r.entries.filter((e) => e.messageId === m.messageId || e.ref?.kind === 'edit')
    expect(chain.map((e) => e.text)).toEqual(Array.from({ length: MAX_EDITS_PER_MESSAGE + 1 }, (_, v) => `v${v}`))
    expect(r.entries.every((e) => e.verified)).toBe(true)
    expect(bob.errors).toEqual([])
  })
})
