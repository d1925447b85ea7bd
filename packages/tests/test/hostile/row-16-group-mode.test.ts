/**
 * Row 16 — a hostile server tells a member added to an E2EE group that the group is
 * server-side (every `conversation` frame and listing says `encryption: 'server-side'`, without
 * the signed ModeChange), hoping the new member's first message goes out readable. Safe
 * outcome: the `create` and `add` records state the group's mode and are signed, so dave takes
 * E2EE from the verified chain, sends E2EE, and reports the server's claim as a
 * `DowngradeRejectedError`. Control: the downgraded description reached dave's client (its
 * copy of the server's claim says server-side). Under the server-side policy a group cannot be
 * E2EE, so there is nothing to downgrade: the E2EE policies only.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/parley.js'
import { codesOf, groupWorld, textsIn, type GroupWorld } from '../groups/_group-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

describe.each(['optional-e2ee', 'default-e2ee'] as const)('row 16: the group mode comes from the signed chain (%s)', (policy) => {
  it('a member added to an E2EE group and told it is server-side sends E2EE', async () => {
    w = await groupWorld(policy)
    const alice = await w.join('alice')
    await w.join('bob')
    const dave = await w.join('dave', true)
    const ga = await alice.client.conversations.create({ members: ['bob'], title: 't' })
    if (policy === 'optional-e2ee') await ga.upgradeToE2EE()
    expect(ga.encryption).toBe('e2ee')
    let tampered = 0
    const strip = (c: any) => {
      if (c?.id !== ga.id) return c
      tampered++
      const { modeChange: _m, ...rest } = c
      return { ...rest, encryption: 'server-side', upgradeRequired: false }
    }
    w.proxy.hooks.serverFrame = (event, frame, ctx) => (ctx.userId === 'dave' && event === 'conversation' ? [strip(frame)] : event === 'mode' && ctx.userId === 'dave' ? [] : [frame])
    w.proxy.hooks.ack = (_event, _req, res, ctx) => {
      if (ctx.userId !== 'dave' || !res?.ok) return res
      if (res.data?.conversation) return { ...res, data: { ...res.data, conversation: strip(res.data.conversation) } }
      if (res.data?.conversations) return { ...res, data: { ...res.data, conversations: res.data.conversations.map(strip) } }
      return res
    }
    const sends: any[] = []
    w.proxy.hooks.request = (event, req, ctx) => {
      if (ctx.userId === 'dave' && event === 'message.send') sends.push(req)
      return req
    }
    await ga.add(['dave'])
    const gd = await w.side('dave', ga.id)
    expect(gd.encryption).toBe('e2ee')
    await gd.send({ text: 'secret from dave' })
    expect(sends.length).toBeGreaterThan(0)
    expect(sends.every((s) => s.mode === 'e2ee')).toBe(true)
    await waitFor(() => textsIn(alice, ga.id).includes('secret from dave'), 10_000, 'alice reads dave')
    // Control: the downgraded description reached dave's client and was reported.
    expect(tampered).toBeGreaterThan(0)
    expect((gd as unknown as { _info: { encryption: string } })._info.encryption).toBe('server-side')
    expect(codesOf(dave)).toContain('downgrade_rejected')
  }, 30_000)
})
