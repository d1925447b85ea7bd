/**
 * Row 5 — a hostile server delivers a message from a user who is not a member (a sock-puppet
 * account, `mallory`) into alice and bob's 1:1. In E2EE the puppet's ciphertext is genuinely
 * valid: mallory's client is told the conversation is hers and bob's, encrypts for bob under
 * that conversation id, and the proxy routes the frame through mallory's own conversation with
 * bob and relabels it on the way to bob. Safe outcome: `MemberMismatchError` naming mallory,
 * nothing shown in the 1:1. Control: the relabelled frame reached bob's client and was
 * processed up to the member check (the error names mallory and the 1:1).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { connect, waitFor } from '../helpers/parley.js'
import { POLICIES, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

describe.each(POLICIES)('row 5: a non-member sender (%s)', (policy) => {
  it('refuses the puppet message with MemberMismatchError', async () => {
    w = await hostileWorld(policy)
    // bob opens a real conversation with mallory; the hostile server never tells mallory's
    // client about it (so the puppet client can be handed the target id for the same pair).
    w.proxy.hooks.serverFrame = (event, frame, ctx) => (event === 'conversation' && ctx.userId === 'mallory' ? [] : [frame])
    w.proxy.hooks.ack = (event, _req, res, ctx) => (event === 'conversation.list' && ctx.userId === 'mallory' && res.ok ? { ok: true, data: { conversations: [] } } : res)
    const mallory = await connect(w.proxy.url, 'mallory')
    w.clients.push(mallory)
    const cm = await w.bob.conversations.open('mallory')
    const target = w.cb.id
    w.proxy.inject('mallory', 'conversation', { id: target, kind: 'direct', members: ['bob', 'mallory'], encryption: w.cb.encryption, upgradeRequired: false, createdAt: Date.now(), lastSeq: 0 })
    await waitFor(() => mallory.conversations.get(target) !== undefined, 10_000, 'the puppet believes the conversation is hers')
    w.proxy.hooks.request = (event, req, ctx) => (event === 'message.send' && ctx.userId === 'mallory' && req.conversationId === target ? { ...req, conversationId: cm.id } : req)
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
      if (event === 'conversation' && ctx.userId === 'mallory') return []
      if (event === 'message' && ctx.userId === 'bob' && frame.conversationId === cm.id && frame.kind === 'message') return [{ ...frame, conversationId: target }]
      return [frame]
    }
    void mallory.conversations.get(target)!.send({ text: 'puppet in your 1:1' }).catch(() => {})
    await waitFor(() => w.bobErrors.some((e) => e.error.code === 'member_mismatch' && e.conversationId === target), 10_000, 'member_mismatch')
    const err = w.bobErrors.find((e) => e.error.code === 'member_mismatch')!
    expect(err.error.details).toMatchObject({ conversationId: target, userId: 'mallory' })
    expect(w.bobGot).toEqual([])
    expect(w.cb.peerUserId).toBe('alice')
  })
})
