/**
 * Edit, delete for everyone, reactions and replies in every policy, for a 1:1 and a group,
 * one suite (docs/messages.md): each action reaches every member's device as a change of its
 * target; edits, replies and reactions are franked (reports verify them with their
 * references); a report over an edited message carries and verifies the whole edit chain; a
 * report over a deleted message verifies its kept content (decision 0021) and the signed
 * tombstone, and a report made before the deletion keeps the text; content hooks run on edits, replies and reactions
 * as on sends; bad input is a typed error and queues nothing.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { BANNED, CASES, code, messagesWorld, updated, type MessagesWorld } from './_messages-world.js'

let w: MessagesWorld
afterEach(async () => w?.close())

describe.each(CASES)('messages: edit, delete, react, reply ($policy, $kind)', ({ policy, kind }) => {
  it('every action reaches every member, and reports verify edit chains and deleted messages', async () => {
    w = await messagesWorld(policy, kind)
    const { alice, bob, carol } = w
    const others = carol ? [bob, carol] : [bob]
    const m1 = await alice.c.send({ text: 'hello' })
    await waitFor(() => others.every((s) => s.got.some((m) => m.id === m1.messageId)), 10_000, 'm1 everywhere')
    expect((await bob.client.search('hello')).map((r) => r.message.id)).toEqual([m1.messageId]) // builds bob's search index

    // Edit: its own franked message; every device shows the latest text and keeps the chain.
    const e1 = await alice.c.edit(m1.messageId, { text: 'hello, edited' })
    expect(e1.seq).toBe(m1.seq + 1)
    for (const s of [alice, ...others]) {
      const m = await updated(s, m1.messageId, (x) => x.text === 'hello, edited', 'edit shown')
      expect(m.editedAt).toBe(e1.ts)
      expect(m.versions?.map((v) => v.text)).toEqual(['hello'])
    }
    expect(bob.got.map((m) => m.id)).toEqual([m1.messageId]) // the edit is no message of its own
    const page = await bob.c.history()
    expect(page.messages.map((m) => [m.id, m.text])).toEqual([[m1.messageId, 'hello, edited']])

    // Reply: the reference is in the franked, signed content.
    const r1 = await bob.c.send({ text: 'a reply', replyTo: m1.messageId })
    await waitFor(() => alice.got.some((m) => m.id === r1.messageId), 10_000, 'reply reached alice')
    expect(alice.got.find((m) => m.id === r1.messageId)?.replyTo).toBe(m1.messageId)

    // Reactions: aggregated per message, one per user and emoji; unreact removes it.
    await bob.c.react(m1.messageId, '👍')
    if (carol) await carol.c.react(m1.messageId, '👍')
    await bob.c.react(m1.messageId, '🎉')
    const reacted = await updated(alice, m1.messageId, (m) => (m.reactions?.['🎉']?.length ?? 0) === 1 && (m.reactions?.['👍']?.length ?? 0) === others.length, 'reactions')
    expect(reacted.reactions).toEqual({ '👍': others.map((s) => s.userId).sort(), '🎉': ['bob'] })
    await bob.c.unreact(m1.messageId, '🎉')
    await updated(alice, m1.messageId, (m) => m.reactions?.['🎉'] === undefined, 'unreact')
    expect(lastReactionsOf(bob, m1.messageId)).toEqual({ '👍': others.map((s) => s.userId).sort() })

    // A report over the edited message carries and verifies the whole chain (original + edit).
    await bob.c.report({ reason: 'edited', messageIds: [m1.messageId], reportId: 'r-edit' })
    await waitFor(() => w.server.reports.some((r) => r.reportId === 'r-edit'), 10_000, 'edit report')
    const edited = w.server.reports.find((r) => r.reportId === 'r-edit')!
    expect(edited.entries.map((e) => [e.messageId, e.text, e.ref?.kind, e.verified])).toEqual([
      [m1.messageId, 'hello', undefined, true],
      [e1.messageId, 'hello, edited', 'edit', true],
    ])
    expect(edited.entries[1]!.ref).toEqual({ kind: 'edit', messageId: m1.messageId, tf: m1.franking.tf, version: 1 }) // target by commitment (decision 0021)
    expect(edited.transcript).toMatchObject({ verified: true, gaps: [] })
    // The last-N report franks replies and reactions with their references too.
    await bob.c.report({ reason: 'recent', reportId: 'r-recent' })
    await waitFor(() => w.server.reports.some((r) => r.reportId === 'r-recent'), 10_000, 'recent report')
    const recent = w.server.reports.find((r) => r.reportId === 'r-recent')!
    expect(recent.entries.every((e) => e.verified)).toBe(true)
    expect(recent.entries.map((e) => e.ref?.kind)).toEqual(expect.arrayContaining(['reply', 'react', 'unreact']))

    // Delete for everyone: reported first (that report keeps the text), then deleted.
    const m2 = await alice.c.send({ text: 'regrettable' })
    await waitFor(() => others.every((s) => s.got.some((m) => m.id === m2.messageId)), 10_000, 'm2 everywhere')
    await bob.c.report({ reason: 'before delete', messageIds: [m2.messageId], reportId: 'r-before' })
    await waitFor(() => w.server.reports.some((r) => r.reportId === 'r-before'), 10_000, 'report before delete')
    await alice.c.deleteForEveryone(m2.messageId)
    for (const s of [alice, ...others]) {
      const m = await updated(s, m2.messageId, (x) => x.deleted !== undefined, 'deleted shown')
      expect([m.text, m.attachments, m.deleted?.by.userId]).toEqual(['', [], 'alice'])
    }
    const row = (await w.store.history(alice.c.id, { userId: 'alice', deviceId: alice.client.deviceId }, undefined, 50, Date.now())).find((r) => r.message.id === m2.messageId)!
    expect([row.message.deleted, row.message.sealedBody]).toEqual([true, undefined]) // body (or ciphertext) gone on the server
    expect(w.server.reports.find((r) => r.reportId === 'r-before')!.entries.map((e) => e.text)).toEqual(['regrettable'])
    expect((await bob.c.history()).messages.find((m) => m.id === m2.messageId)?.deleted?.by.userId).toBe('alice')
    await bob.c.report({ reason: 'after delete', messageIds: [m2.messageId], reportId: 'r-after' })
    await waitFor(() => w.server.reports.some((r) => r.reportId === 'r-after'), 10_000, 'report after delete')
    const after = w.server.reports.find((r) => r.reportId === 'r-after')!
    // The deleted content, kept out of the UI for the report window, still proves what bob received.
    expect(after.entries.map((e) => [e.messageId === m2.messageId, e.text, e.deleted, e.ref?.kind, e.verified])).toEqual([
      [true, 'regrettable', true, undefined, true],
      [false, '', undefined, 'delete', true],
    ])
    expect(after.transcript.verified).toBe(true)
    // Local search follows what messages show: the latest text, nothing of a deleted one.
    expect((await bob.client.search('edited')).map((r) => r.message.id)).toEqual([m1.messageId])
    expect(await bob.client.search('regrettable')).toEqual([])
    expect(others.flatMap((s) => s.errors)).toEqual([])
  })

  it('typed errors, the edit window, and content hooks on edits, replies and reactions', async () => {
    w = await messagesWorld(policy, kind)
    const { alice, bob } = w
    const m1 = await alice.c.send({ text: 'original' })
    await waitFor(() => bob.got.some((m) => m.id === m1.messageId), 10_000, 'm1 reached bob')
    const before = await alice.client.pendingCount()
    expect(await code(bob.c.edit(m1.messageId, { text: 'not mine' }))).toBe('not_your_message')
    expect(await code(bob.c.deleteForEveryone(m1.messageId))).toBe('not_your_message')
    expect(await code(alice.c.edit('m_nope', { text: 'x' }))).toBe('unknown_message')
    expect(await code(alice.c.react(m1.messageId, 'not an emoji'))).toBe('bad_emoji')
    expect(await code(alice.c.react(m1.messageId, '👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍👍'))).toBe('bad_emoji')
    expect(await code(alice.c.send({ text: 'x', replyTo: 'm_nope' }))).toBe('unknown_message')
    expect(await code(alice.c.edit(m1.messageId, { text: '' }))).toBe('RangeError: "text" expected a non-empty text or at least one attachment')
    // Content hooks run on the edit, the reply and the reaction's content as on a send.
    expect(await code(alice.c.edit(m1.messageId, { text: `now ${BANNED}` }))).toBe('message_blocked')
    expect(await code(bob.c.send({ text: `re: ${BANNED}`, replyTo: m1.messageId }))).toBe('message_blocked')
    expect(await alice.client.pendingCount()).toBe(before)
    // The edit window: a client with a zero window refuses to edit anything already sent.
    ;(alice.client as unknown as { options: { editWindowMs: number } }).options.editWindowMs = 0
    await new Promise((r) => setTimeout(r, 5))
    expect(await code(alice.c.edit(m1.messageId, { text: 'too late' }))).toBe('edit_window_closed')
    // The message was never changed anywhere.
    expect(bob.updates).toEqual([])
    expect((await bob.c.history()).messages.map((m) => m.text)).toEqual(['original'])
  })
})

function lastReactionsOf(s: { updates: { id: string; reactions?: Record<string, string[]> }[] }, id: string) {
  return [...s.updates].reverse().find((m) => m.id === id)?.reactions
}
