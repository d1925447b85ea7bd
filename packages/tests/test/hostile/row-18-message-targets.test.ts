/**
 * Threat-model row 18, second part (decision 0021; docs/messages.md), every policy, 1:1 and
 * group. Message ids are the server's choice and franking does not bind them, so a hostile
 * server can give two messages one id, or one message different ids on different devices.
 * Actions and replies therefore name their target by its franking commitment `tf` (the id
 * is a hint), edits carry a franked version, and:
 * - ids swapped on bob's device: alice's reaction, reply and edit land on the message she
 *   meant, under whatever id bob holds it;
 * - a message withheld from bob (delivered as deleted, no content) is said as
 *   `message_unavailable`; its id given to another message makes alice's reaction and reply
 *   to it `message_ref_mismatch` (not applied to the impostor); a second message under a held
 *   id is `message_conflict`;
 * - two edits (or a react and its unreact) delivered in the other order: the later one still
 *   wins; a report carries the whole chain; a reporter who marks a genuine message `deleted` gets `no_tombstone`.
 * Each attack's control: the proxy's rewrite reached bob's client (what bob shows or reports
 * names it), and the honest path still works.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { CASES, lastUpdate, messagesWorld, updated, type MessagesWorld } from '../messages/_messages-world.js'

let w: MessagesWorld
afterEach(async () => w?.close())

/** A delivery of alice's content (a message, not a roster record) on its way to bob. */
const isAlices = (event: string, frame: any) => event === 'message' && frame?.kind === 'message' && frame.sender?.userId === 'alice'

/** The same delivery as the server would send it once its author deleted it: no content left. */
function stripped(frame: any): any {
  const { body: _b, envelope: _e, senderKey: _s, attachments: _a, ...rest } = frame
  return { ...rest, deleted: true }
}

const codesFor = (w: MessagesWorld, messageId: string) => w.bob.errors.filter((e) => e.messageId === messageId).map((e) => e.error.code)

describe.each(CASES)('row 18: action targets by commitment ($policy, $kind)', ({ policy, kind }) => {
  it('ids swapped on bob\'s device: reaction, reply and edit land on the message alice meant', async () => {
    w = await messagesWorld(policy, kind, { bobViaProxy: true })
    const { alice, bob } = w
    // The proxy holds alice's first message and releases both with their ids swapped.
    let held: any = null
    let swapped = 0
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (!isAlices(event, frame) || swapped === 2) return [frame]
      if (!held) { held = frame; return [] }
      swapped = 2
      return [{ ...held, messageId: frame.messageId }, { ...frame, messageId: held.messageId }]
    }
    const m0 = await alice.c.send({ text: 'first' })
    const m1 = await alice.c.send({ text: 'second' })
    await waitFor(() => bob.got.length === 2, 10_000, 'both reached bob')
    // Control: the swap reached bob's client.
    expect(bob.got.map((m) => [m.id, m.text])).toEqual([[m1.messageId, 'first'], [m0.messageId, 'second']])
    w.proxy.hooks.serverFrame = undefined

    await alice.c.react(m1.messageId, '👍') // alice means 'second', which bob holds as m0's id
    await updated(bob, m0.messageId, (m) => m.reactions?.['👍']?.[0] === 'alice', 'reaction on "second"')
    const reply = await alice.c.send({ text: 'about the second', replyTo: m1.messageId })
    await waitFor(() => bob.got.some((m) => m.id === reply.messageId), 10_000, 'reply reached bob')
    expect(bob.got.find((m) => m.id === reply.messageId)?.replyTo).toBe(m0.messageId)
    await alice.c.edit(m1.messageId, { text: 'second, edited' })
    await updated(bob, m0.messageId, (m) => m.text === 'second, edited', 'edit of "second"')
    const shown = (await bob.c.history()).messages.filter((m) => m.id === m0.messageId || m.id === m1.messageId)
    expect(shown.map((m) => [m.id, m.text, Object.keys(m.reactions ?? {})])).toEqual([[m1.messageId, 'first', []], [m0.messageId, 'second, edited', ['👍']]])
    expect(lastUpdate(bob, m1.messageId)).toBeUndefined() // 'first' was never touched
    expect(bob.errors).toEqual([])
  })

  it('a withheld message is surfaced; its id given to another is a mismatch, a held id twice a conflict', async () => {
    w = await messagesWorld(policy, kind, { bobViaProxy: true })
    const { alice, bob } = w
    // A first message passes (in a sender-key group it carries alice's chain to bob).
    const hello = await alice.c.send({ text: 'hello' })
    await waitFor(() => bob.got.some((m) => m.id === hello.messageId), 10_000, 'hello reached bob')
    // Alice's next deliveries to bob, in order: #1 stripped (withheld), #2 and #6 shown under #1's id.
    let n = 0
    let withheldId = ''
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (!isAlices(event, frame)) return [frame]
      n++
      if (n === 1) { withheldId = frame.messageId; return [stripped(frame)] }
      return [n === 2 || n === 6 ? { ...frame, messageId: withheldId } : frame]
    }
    const r = await alice.c.send({ text: 'withheld' })
    await waitFor(() => codesFor(w, r.messageId).length > 0, 10_000, 'the stripped delivery reached bob')
    expect(codesFor(w, r.messageId)).toEqual(['message_unavailable']) // said, not skipped silently
    const s = await alice.c.send({ text: 'decoy' })
    await waitFor(() => bob.got.length === 2, 10_000, 'decoy reached bob')
    expect(bob.got.map((m) => [m.id, m.text])).toEqual([[hello.messageId, 'hello'], [r.messageId, 'decoy']]) // control: relabelled

    // Alice reacts and replies to the withheld message: bob holds another commitment under its id.
    const react = await alice.c.react(r.messageId, '👍')
    await waitFor(() => codesFor(w, react.messageId).length > 0, 10_000, 'the reaction reached bob')
    expect(codesFor(w, react.messageId)).toEqual(['message_ref_mismatch'])
    expect(bob.errors.find((e) => e.messageId === react.messageId)?.error.details).toMatchObject({ reason: 'tf_mismatch' })
    const reply = await alice.c.send({ text: 'about the withheld one', replyTo: r.messageId })
    await waitFor(() => bob.got.some((m) => m.id === reply.messageId), 10_000, 'reply reached bob')
    expect(codesFor(w, reply.messageId)).toEqual(['message_ref_mismatch'])
    expect(bob.got.find((m) => m.id === reply.messageId)?.replyTo).toBeUndefined() // not pointed at the decoy
    expect(lastUpdate(bob, r.messageId)).toBeUndefined()

    // Control: alice's reaction to the decoy itself lands on it, under the id bob holds it by.
    await alice.c.react(s.messageId, '🎉')
    await updated(bob, r.messageId, (m) => m.reactions?.['🎉']?.[0] === 'alice' && m.reactions?.['👍'] === undefined, 'reaction on the decoy')

    // A second message under an id bob already holds: refused, the first kept.
    const t = await alice.c.send({ text: 'another under the same id' })
    await waitFor(() => codesFor(w, r.messageId).length > 1, 10_000, 'the conflicting delivery reached bob')
    expect(codesFor(w, r.messageId)).toEqual(['message_unavailable', 'message_conflict'])
    expect(n).toBe(6)
    expect(bob.got.map((m) => m.text)).not.toContain('another under the same id')
    // History shows one message per id (a readable server row under a held id is a conflict too).
    const page = await bob.c.history()
    expect(page.messages.filter((m) => m.id === r.messageId).map((m) => m.text)).toEqual(['decoy'])
    // (A readable conversation's history may show that message from the server's own rows, under its real id.)
    expect(page.messages.filter((m) => m.text === 'another under the same id').every((m) => m.id === t.messageId)).toBe(true)
    expect(t.seq).toBeGreaterThan(s.seq)
  })

  it('edits delivered in the other order: the later version wins; reports carry the chain; a doctored deleted flag is no_tombstone', async () => {
    w = await messagesWorld(policy, kind, { bobViaProxy: true })
    const { alice, bob } = w
    const m = await alice.c.send({ text: 'v0' })
    await waitFor(() => bob.got.some((x) => x.id === m.messageId), 10_000, 'm reached bob')
    // The proxy holds alice's first edit and delivers it after the second (inbox ids swapped).
    let held: any = null
    let swapped = false
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (!isAlices(event, frame) || swapped) return [frame]
      if (!held) { held = frame; return [] }
      swapped = true
      return [{ ...frame, inboxId: held.inboxId }, { ...held, inboxId: frame.inboxId }]
    }
    const e1 = await alice.c.edit(m.messageId, { text: 'v1' })
    const e2 = await alice.c.edit(m.messageId, { text: 'v2' })
    await waitFor(() => bob.updates.filter((x) => x.id === m.messageId).length === 2, 10_000, 'both edits reached bob')
    expect(swapped).toBe(true) // control: the reordering reached bob (v2 arrived first)
    expect(bob.updates.map((x) => [x.text, x.versions?.map((v) => v.text)])).toEqual([['v2', ['v0']], ['v2', ['v0', 'v1']]])
    expect((await bob.c.history()).messages.find((x) => x.id === m.messageId)?.text).toBe('v2')
    expect(bob.errors).toEqual([])

    // The same for a reaction and its removal: the unreaction delivered first still wins.
    held = null
    swapped = false
    await alice.c.react(m.messageId, '👍')
    await alice.c.unreact(m.messageId, '👍')
    await waitFor(() => swapped, 10_000, 'reordered reactions reached bob')
    // A later message as a barrier: bob processes deliveries in order, so both were handled before it.
    const barrier = await alice.c.send({ text: 'barrier' })
    await waitFor(() => bob.got.some((x) => x.id === barrier.messageId), 10_000, 'barrier reached bob')
    expect(bob.updates.filter((x) => x.id === m.messageId).slice(2).map((x) => x.reactions)).toEqual([{}]) // the late react changed nothing
    expect((await bob.c.history()).messages.find((x) => x.id === m.messageId)?.reactions).toEqual({})

    // bob's report carries the whole chain, each version verified.
    await bob.c.report({ reason: 'edited', messageIds: [m.messageId], reportId: 'r-chain' })
    await waitFor(() => w.server.reports.some((x) => x.reportId === 'r-chain'), 10_000, 'chain report')
    const chain = w.server.reports.find((x) => x.reportId === 'r-chain')!
    expect(chain.entries.map((e) => [e.messageId, e.text, e.ref?.version, e.verified])).toEqual([
      [m.messageId, 'v0', undefined, true], [e1.messageId, 'v1', 1, true], [e2.messageId, 'v2', 2, true],
    ])
    // A reporter marking the genuine message deleted (no tombstone exists) is caught.
    let doctored = 0
    w.proxy.hooks.request = (event, req) => {
      if (event !== 'report.submit' || req.reportId !== 'r-doctored') return req
      doctored++
      return { ...req, entries: req.entries.map((e: any) => (e.messageId === m.messageId ? { ...e, deleted: true } : e)) }
    }
    await bob.c.report({ reason: 'doctored', messageIds: [m.messageId], reportId: 'r-doctored' })
    await waitFor(() => w.server.reports.some((x) => x.reportId === 'r-doctored'), 10_000, 'doctored report')
    expect(doctored).toBe(1) // control: the doctored report reached the server
    const bad = w.server.reports.find((x) => x.reportId === 'r-doctored')!
    expect(bad.entries.map((e) => [e.messageId, e.deleted, e.failure])).toEqual([
      [m.messageId, true, 'no_tombstone'], [e1.messageId, undefined, undefined], [e2.messageId, undefined, undefined],
    ])
  })
})
