/**
 * Row 16 — a hostile server attacks a group's roster (docs/groups.md), in every policy. bob is
 * behind the tampering proxy; alice (the admin), carol and dave are honest and direct. Each
 * attack is detected by bob's client as a typed `'error'` (`RosterRejectedError` with a
 * `reason`, or `MemberMismatchError`), his verified roster unchanged; each carries a control
 * proving the tampered frame reached bob's client and was processed up to the check that
 * refused it:
 * - a ghost member added (a roster record adding mallory, genuinely signed by mallory's device);
 * - a member silently dropped (the server lists the group without carol; bob's E2EE sends still
 *   encrypt to carol's devices, from the signed roster);
 * - the roster rolled back (the group described at an older version with its old members);
 * - a fork (bob is shown another genuinely admin-signed record at the version carol holds;
 *   carol's next message carries her roster head: bob reports a `head_mismatch` naming her —
 *   no proof yet, her client could lie — and shows her message; the record carol holds,
 *   delivered to bob, is the proof: `fork`);
 * - a message from a non-member (carol, removed, writes in her 1:1 with bob; the server
 *   relabels it into the group);
 * - (optional-e2ee) a `ModeChange` signed by a member who is not an admin (carol's genuine
 *   device), delivered to bob as the group's upgrade: refused; the control delivers alice's
 *   (the admin's) record the same way and bob pins E2EE.
 * - an emptied group described with members (its member list stays empty, never the server's).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { signModeChange, signRosterRecord, type DeviceIdentity } from '@parley/crypto'
import type { Conversation } from '@parley/client'
import { waitFor } from '../helpers/parley.js'
import { POLICIES, codesOf, groupWorld, textsIn, type GroupWorld, type Member } from '../groups/_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

/** The device identity a member's key store holds (to sign records as that device in a test). */
async function deviceOf(m: Member): Promise<DeviceIdentity> {
  return ((await m.keyStore.get('self')) as unknown as { device: DeviceIdentity }).device
}

const rosterErrors = (m: Member) => m.errors.filter((e) => e.error.code === 'roster_rejected').map((e) => (e.error.details as { reason?: string }).reason)

async function world(policy: (typeof POLICIES)[number]) {
  w = await groupWorld(policy)
  const alice = await w.join('alice')
  const bob = await w.join('bob', true)
  const carol = await w.join('carol')
  const dave = await w.join('dave')
  const ga = await alice.client.conversations.create({ members: ['bob', 'carol'], title: 'team' })
  const gb = await w.side('bob', ga.id)
  const gc = await w.side('carol', ga.id)
  return { alice, bob, carol, dave, ga, gb, gc }
}

/** Delivers a frame to bob's client as the next inbox entry (an inbox id past anything real). */
let nextInbox = 1_000_000
const injectDelivery = (frame: Record<string, unknown>) => w.proxy.inject('bob', 'message', { inboxId: nextInbox++, ts: Date.now(), ...frame })

describe.each(POLICIES)('row 16: hostile server vs group rosters (%s)', (policy) => {
  it('a ghost member added: a record adding mallory, signed by mallory\'s own device, is refused (not_admin)', async () => {
    const { ga, gb } = await world(policy)
    const mallory = await w.join('mallory')
    const record = signRosterRecord(await deviceOf(mallory), {
      conversationId: ga.id, version: gb.rosterVersion + 1, prev: gb._roster!.head, change: { action: 'add', userIds: ['mallory'] },
      userId: 'mallory', deviceId: mallory.client.deviceId, ts: Date.now(),
    })
    injectDelivery({ kind: 'roster', messageId: 'r_ghost', conversationId: ga.id, seq: 50, sender: { userId: 'mallory', deviceId: mallory.client.deviceId }, mode: gb.encryption, roster: record })
    await waitFor(() => rosterErrors(w.users.bob!).length > 0, 10_000, 'roster_rejected')
    // Control: the record reached bob's client and was checked against the chain (it chains; only the authority fails).
    expect(rosterErrors(w.users.bob!)).toEqual(['not_admin'])
    expect(w.users.bob!.errors[0]!.error.details).toMatchObject({ conversationId: ga.id, version: record.version, userId: 'mallory' })
    expect(gb.members).toEqual(['alice', 'bob', 'carol'])
  })

  it('a member silently dropped: the group listed without carol is refused (mismatch); bob still sends to carol', async () => {
    const { carol, ga, gb } = await world(policy)
    let tampered = 0
    w.proxy.hooks.ack = (event, _req, res, ctx) => {
      if (event !== 'conversation.list' || ctx.userId !== 'bob' || !res.ok) return res
      tampered++
      return { ok: true, data: { conversations: res.data.conversations.map((c: any) => (c.id === ga.id ? { ...c, members: c.members.filter((m: string) => m !== 'carol') } : c)) } }
    }
    const sends: any[] = []
    w.proxy.hooks.request = (event, req) => {
      if (event === 'message.send') sends.push(req)
      return req
    }
    await w.users.bob!.client.conversations.list()
    expect(tampered).toBe(1) // control: the doctored list reached bob's client
    await waitFor(() => rosterErrors(w.users.bob!).includes('mismatch'), 10_000, 'mismatch')
    expect(gb.members).toEqual(['alice', 'bob', 'carol'])
    await gb.send({ text: 'still for carol' })
    await waitFor(() => textsIn(carol, ga.id).includes('still for carol'), 10_000, 'carol reads bob')
    if (gb.encryption === 'e2ee') expect(sends.at(-1).envelopes.some((e: any) => e.userId === 'carol')).toBe(true)
  })

  it('the roster rolled back: the group described at an older version is refused (rollback)', async () => {
    const { ga, gb } = await world(policy)
    await ga.add(['dave'])
    await waitFor(() => gb.members.includes('dave'), 10_000, 'bob verifies dave')
    const v = gb.rosterVersion
    let tampered = 0
    w.proxy.hooks.ack = (event, _req, res, ctx) => {
      if (event !== 'conversation.list' || ctx.userId !== 'bob' || !res.ok) return res
      tampered++
      return { ok: true, data: { conversations: res.data.conversations.map((c: any) => (c.id === ga.id ? { ...c, rosterVersion: v - 1, members: ['alice', 'bob', 'carol'] } : c)) } }
    }
    await w.users.bob!.client.conversations.list()
    expect(tampered).toBe(1)
    await waitFor(() => rosterErrors(w.users.bob!).includes('rollback'), 10_000, 'rollback')
    expect(gb.members).toEqual(['alice', 'bob', 'carol', 'dave'])
    expect(gb.rosterVersion).toBe(v)
  })

  it('a fork: bob is shown another admin-signed record at a version carol holds; carol\'s next message reveals a head mismatch, the other record is proof (fork)', async () => {
    const { alice, carol, ga, gb, gc } = await world(policy)
    const v = ga.rosterVersion
    const forked = signRosterRecord(await deviceOf(alice), {
      conversationId: ga.id, version: v + 1, prev: ga._roster!.head, change: { action: 'role', userId: 'carol', role: 'admin' }, userId: 'alice', deviceId: alice.client.deviceId, ts: Date.now(),
    })
    // (A role change: a readable title would be refused outright where the chain says E2EE.)
    const bobSeesFork = () => (gb as any)._roster?.members?.carol === 'admin'
    let swapped = 0
    let real: any
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (event === 'message' && ctx.userId === 'bob' && frame.kind === 'roster' && frame.conversationId === ga.id && frame.roster.version === v + 1) {
        swapped++
        real = frame
        return [{ ...frame, roster: forked }]
      }
      return [frame]
    }
    // A consistent fork: bob's `roster.fetch` shows him the forked chain too.
    w.proxy.hooks.ack = (event, req, res, ctx) => {
      if (event !== 'roster.fetch' || ctx.userId !== 'bob' || !res?.ok || req.conversationId !== ga.id) return res
      return { ok: true, data: { ...res.data, records: res.data.records.map((r: any) => (r.record.version === v + 1 ? { ...r, record: forked } : r)) } }
    }
    await ga.add(['dave']) // carol and alice hold this record at v + 1; bob is shown `forked`
    await waitFor(() => gc.members.includes('dave') && bobSeesFork(), 10_000, 'both views applied')
    expect(swapped).toBe(1) // control: bob verified and applied the forked record (valid admin signature, valid chain)
    await gc.send({ text: 'from carol at the real head' })
    // Carol's head alone proves nothing (her client could lie): reported naming her, her message shown.
    await waitFor(() => rosterErrors(w.users.bob!).includes('head_mismatch'), 10_000, 'head_mismatch')
    const mismatch = w.users.bob!.errors.find((e) => (e.error.details as { reason?: string }).reason === 'head_mismatch')!
    expect(mismatch.error.details).toMatchObject({ conversationId: ga.id, userId: 'carol', version: v + 1 })
    expect(rosterErrors(w.users.bob!)).not.toContain('fork')
    await waitFor(() => textsIn(w.users.bob!, ga.id).includes('from carol at the real head'), 10_000, 'bob shows carol\'s message')
    // The record carol holds, validly signed at the same version, is the proof: a fork.
    const { inboxId: _i, ...delivery } = real
    injectDelivery({ ...delivery, seq: 60, messageId: 'r_real' })
    await waitFor(() => rosterErrors(w.users.bob!).includes('fork'), 10_000, 'fork')
    expect(bobSeesFork()).toBe(true) // the verified roster stays as it was
    expect(textsIn(carol, ga.id)).toEqual([])
  })

  it('a message from a non-member: removed carol\'s message relabelled into the group is refused (member_mismatch)', async () => {
    const { carol, ga, gb } = await world(policy)
    await ga.remove(['carol'])
    await waitFor(() => !gb.members.includes('carol'), 10_000, 'bob verifies the removal')
    const direct: Conversation = await carol.client.conversations.open('bob')
    let relabelled = 0
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (event === 'message' && ctx.userId === 'bob' && frame.conversationId === direct.id && frame.kind === 'message') {
        relabelled++
        return [{ ...frame, conversationId: ga.id }]
      }
      return [frame]
    }
    await direct.send({ text: 'ghost in the group' })
    await waitFor(() => codesOf(w.users.bob!).includes('member_mismatch'), 10_000, 'member_mismatch')
    expect(relabelled).toBe(1)
    const err = w.users.bob!.errors.find((e) => e.error.code === 'member_mismatch')!
    expect(err.error.details).toMatchObject({ conversationId: ga.id, userId: 'carol' })
    expect(textsIn(w.users.bob!, ga.id)).toEqual([])
  })

  it('an emptied group described with members keeps none (the server\'s list is never a fallback)', async () => {
    w = await groupWorld(policy)
    const bob = await w.join('bob', true)
    await w.join('alice')
    const gb = await bob.client.conversations.create({ members: ['alice'], title: 't' })
    const ga = await w.side('alice', gb.id)
    await ga.leave()
    await waitFor(() => gb.members.length === 1, 10_000, 'alice left')
    await gb.leave()
    expect(gb.members).toEqual([])
    const info = { ...(gb as unknown as { _info: Record<string, unknown> })._info, members: ['mallory'], rosterVersion: gb.rosterVersion }
    w.proxy.inject('bob', 'conversation', info)
    // Control: the ghost list reached bob's client and was compared with the signed roster.
    await waitFor(() => rosterErrors(bob).includes('mismatch'), 10_000, 'mismatch')
    expect(gb.members).toEqual([])
    expect((gb as unknown as { _info: { members: string[] } })._info.members).toEqual([])
  })
})

describe('row 16: a group upgrade signed by a non-admin (optional-e2ee)', () => {
  /** Rewrites alice's next group message to bob into a mode_change delivery carrying `mc`. */
  function forge(groupId: string, mc: unknown): () => number {
    let done = 0
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (done || event !== 'message' || ctx.userId !== 'bob' || frame.kind !== 'message' || frame.conversationId !== groupId) return [frame]
      done++
      const { body: _b, envelope: _e, attachments: _a, franking: _f, clientMessageId: _c, ...rest } = frame
      return [{ ...rest, kind: 'mode_change', mode: 'e2ee', modeChange: mc }]
    }
    return () => done
  }

  it('refuses a ModeChange signed by a member who is not an admin', async () => {
    const { carol, ga, gb } = await world('optional-e2ee')
    const mc = signModeChange(await deviceOf(carol), { conversationId: ga.id, from: 'server-side', to: 'e2ee', userId: 'carol', deviceId: carol.client.deviceId, ts: Date.now() })
    const swapped = forge(ga.id, mc)
    await ga.send({ text: 'becomes the forged upgrade' })
    await waitFor(() => codesOf(w.users.bob!).includes('member_mismatch'), 10_000, 'member_mismatch')
    expect(swapped()).toBe(1)
    expect(w.users.bob!.errors.find((e) => e.error.code === 'member_mismatch')!.error.details).toMatchObject({ userId: 'carol' })
    expect(gb.encryption).toBe('server-side')
  })

  it('control: the admin\'s record delivered the same way pins E2EE', async () => {
    const { alice, ga, gb } = await world('optional-e2ee')
    const mc = signModeChange(await deviceOf(alice), { conversationId: ga.id, from: 'server-side', to: 'e2ee', userId: 'alice', deviceId: alice.client.deviceId, ts: Date.now() })
    const swapped = forge(ga.id, mc)
    await ga.send({ text: 'becomes a genuine upgrade' })
    await waitFor(() => gb.encryption === 'e2ee', 10_000, 'bob pins e2ee')
    expect(swapped()).toBe(1)
    expect(codesOf(w.users.bob!)).not.toContain('member_mismatch')
  })
})
