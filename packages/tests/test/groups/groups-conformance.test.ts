/**
 * Groups in every policy, one suite (docs/groups.md): create, add, remove, leave, roles and
 * title through signed roster records every member verifies; messages reach exactly the
 * members of the verified roster; a removed member gets nothing sent after its removal (no
 * inbox row, and in E2EE no envelope: nothing to decrypt); the member limit; the policy's mode.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { POLICIES, codesOf, groupWorld, textsIn, type GroupWorld } from './_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

const code = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: { code?: string }) => e.code ?? String(e))

describe.each(POLICIES)('groups (%s)', (policy) => {
  it('create, add, remove, leave, roles and title: every member verifies the same roster', async () => {
    w = await groupWorld(policy)
    const [alice, bob, carol, dave] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => w.join(u)))
    const ga = await alice!.client.conversations.create({ members: ['bob', 'carol'], title: 'team' })
    expect(ga.kind).toBe('group')
    expect(ga.members).toEqual(['alice', 'bob', 'carol'])
    expect(ga.title).toBe('team')
    expect(ga.admins).toEqual(['alice'])
    expect(ga.encryption).toBe(policy === 'default-e2ee' ? 'e2ee' : 'server-side')
    const gb = await w.side('bob', ga.id)
    const gc = await w.side('carol', ga.id)
    expect([gb.kind, gb.members, gb.title, gb.roleOf('bob')]).toEqual(['group', ['alice', 'bob', 'carol'], 'team', 'member'])

    await ga.send({ text: 'hello team' })
    await waitFor(() => textsIn(bob!, ga.id).length === 1 && textsIn(carol!, ga.id).length === 1, 10_000, 'first group message')
    // Typing and receipts reach every member.
    const typing: string[] = []
    gb.on('typing', (t) => typing.push(`bob<-${t.from.userId}`))
    gc.on('typing', (t) => typing.push(`carol<-${t.from.userId}`))
    const receipts: string[] = []
    ga.on('receipt', (r) => receipts.push(r.from.userId))
    await ga.typing(true)
    await waitFor(() => typing.length === 2, 10_000, 'typing to both members')
    expect(typing.sort()).toEqual(['bob<-alice', 'carol<-alice'])
    await gb.markRead()
    await gc.markRead()
    await waitFor(() => receipts.includes('bob') && receipts.includes('carol'), 10_000, 'receipts from both members')

    await ga.add(['dave'])
    const gd = await w.side('dave', ga.id)
    await waitFor(() => gb.members.includes('dave') && gd.members.includes('dave'), 10_000, 'dave added everywhere')
    expect(bob!.members.map((e) => e.change.action)).toContain('add')
    await gd.send({ text: 'hi from dave' })
    await waitFor(() => textsIn(alice!, ga.id).includes('hi from dave') && textsIn(carol!, ga.id).includes('hi from dave'), 10_000, 'dave reaches all')
    expect(textsIn(dave!, ga.id)).toEqual([]) // nothing from before dave joined

    // A member cannot change the roster; roles move with signed records.
    expect(await code(gb.add(['dave']))).toBe('roster_rejected')
    await ga.setRole('bob', 'admin')
    await waitFor(() => gb.roleOf('bob') === 'admin', 10_000, 'bob admin')
    await gb.setTitle('renamed')
    await waitFor(() => ga.title === 'renamed' && gc.title === 'renamed' && gd.title === 'renamed', 10_000, 'title everywhere')

    await gc.leave()
    await waitFor(() => !ga.members.includes('carol') && !gd.members.includes('carol'), 10_000, 'carol left')
    await gb.remove(['dave'])
    await waitFor(() => !ga.members.includes('dave') && !gd.members.includes('dave'), 10_000, 'dave removed, and dave knows')
    expect(ga.members).toEqual(['alice', 'bob'])
    expect(gd.rosterVersion).toBe(ga.rosterVersion)
    // The verified head is the same hash on every device at that version (apps show it to compare).
    expect(ga.rosterHead).toMatch(/^[A-Za-z0-9+/]{43}=$/)
    expect(gd.rosterHead).toBe(ga.rosterHead)
    expect(gb.rosterHead).toBe(ga.rosterHead)
    for (const m of [alice, bob, carol, dave]) expect(codesOf(m!)).toEqual([])
  })

  it('a removed member gets nothing sent after its removal (no inbox row, no envelope) and cannot send', async () => {
    w = await groupWorld(policy)
    const [alice, bob, carol] = await Promise.all([w.join('alice'), w.join('bob'), w.join('carol', true)])
    const ga = await alice!.client.conversations.create({ members: ['bob', 'carol'], title: '' })
    const gc = await w.side('carol', ga.id)
    await w.side('bob', ga.id)
    if (policy === 'optional-e2ee') await ga.upgradeToE2EE()
    await ga.send({ text: 'before' })
    await waitFor(() => textsIn(carol!, ga.id).includes('before'), 10_000, 'carol reads before removal')
    await ga.remove(['carol'])
    await waitFor(() => !gc.members.includes('carol'), 10_000, 'carol sees her removal')
    const ack = await ga.send({ text: 'after' })
    await waitFor(() => textsIn(bob!, ga.id).includes('after'), 10_000, 'bob reads after')
    // The server's store: no row for carol's device, so no envelope (E2EE) or body (server-side) to read.
    const rows = await w.store.inboxAfter({ userId: 'carol', deviceId: carol!.client.deviceId }, 0, 100, Date.now())
    expect(rows.some((r) => r.message.id === ack.messageId)).toBe(false)
    expect(textsIn(carol!, ga.id)).toEqual(['before'])
    if (ga.encryption === 'e2ee') {
      // A hostile server hands carol bob's stored envelope of the message sent after her
      // removal: it is under bob's session, so carol cannot decrypt it (and shows nothing).
      const [row] = (await w.store.inboxAfter({ userId: 'bob', deviceId: bob!.client.deviceId }, 0, 100, Date.now())).filter((r) => r.message.id === ack.messageId)
      expect(row?.envelope).toBeDefined()
      w.proxy.inject('carol', 'message', {
        inboxId: 1_000_000, kind: 'message', messageId: ack.messageId, conversationId: ga.id, seq: ack.seq, ts: ack.ts,
        sender: row!.message.sender, mode: 'e2ee', envelope: row!.envelope, attachments: [], franking: ack.franking,
      })
      await waitFor(() => carol!.errors.some((e) => e.messageId === ack.messageId), 10_000, 'carol\'s client tried the forwarded envelope')
      expect(textsIn(carol!, ga.id)).toEqual(['before'])
    }
    // carol's client refuses to send into a group it is not in; the server refuses too.
    expect(await code(carol!.client.conversations.get(ga.id)!.send({ text: 'still here?' }))).toMatch(/forbidden|member_mismatch/)
  })

  it('the server member limit refuses a group past it with GroupFullError', async () => {
    w = await groupWorld(policy, { maxGroupMembers: 3 })
    const [alice] = await Promise.all(['alice', 'bob', 'carol', 'dave'].map((u) => w.join(u)))
    expect(await code(alice!.client.conversations.create({ members: ['bob', 'carol', 'dave'] }))).toBe('group_full')
    const g = await alice!.client.conversations.create({ members: ['bob', 'carol'] })
    expect(await code(g.add(['dave']))).toBe('group_full')
    expect(g.members).toEqual(['alice', 'bob', 'carol'])
  })
})

// Upgrading a group exists only where conversations start server-side and may be upgraded.
describe('groups (optional-e2ee only)', () => {
  it('a creator with minimumMode e2ee gets a group E2EE from creation', async () => {
    w = await groupWorld('optional-e2ee')
    const alice = await w.join('alice', false, { minimumMode: 'e2ee' })
    await w.join('bob')
    const ga = await alice.client.conversations.create({ members: ['bob'] })
    expect(ga.encryption).toBe('e2ee')
    const gb = await w.side('bob', ga.id)
    await waitFor(() => gb.encryption === 'e2ee', 10_000, 'bob pins e2ee')
  })

  it('only an admin may upgrade a group to E2EE (signed ModeChange, one-way)', async () => {
    w = await groupWorld('optional-e2ee')
    const [alice] = await Promise.all(['alice', 'bob'].map((u) => w.join(u)))
    const ga = await alice!.client.conversations.create({ members: ['bob'] })
    const gb = await w.side('bob', ga.id)
    expect(await code(gb.upgradeToE2EE())).toBe('forbidden')
    await ga.upgradeToE2EE()
    await waitFor(() => gb.encryption === 'e2ee', 10_000, 'bob pins e2ee')
  })
})
