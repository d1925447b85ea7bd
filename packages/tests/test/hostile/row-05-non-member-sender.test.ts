/**
 * Row 5 — a hostile server delivers a message from a user who is not a member (a sock-puppet
 * account, `mallory`) into alice and bob's 1:1. In E2EE the puppet's ciphertext is genuinely
 * valid: mallory's client is told the conversation is hers and bob's, encrypts for bob under
 * that conversation id, and the proxy routes the frame through mallory's own conversation with
 * bob and relabels it on the way to bob. Safe outcome: `MemberMismatchError` naming mallory,
 * nothing shown in the 1:1. Control: the relabelled frame reached bob's client (the error
 * names mallory and the 1:1), and mallory's unrelabelled messages are shown in her own
 * conversation with bob.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { Message } from '@parley/client'
import { connect, waitFor } from '../helpers/parley.js'
import { POLICIES, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

describe.each(POLICIES)('row 5: a non-member sender (%s)', (policy) => {
  it('refuses the puppet message with MemberMismatchError', async () => {
    w = await hostileWorld(policy)
    const mallory = await connect(w.proxy.url, 'mallory')
    w.clients.push(mallory)
    const cm = await mallory.conversations.open('bob') // mallory's real conversation with bob
    await waitFor(() => w.bob.conversations.get(cm.id) !== undefined, 10_000, 'bob learns of it')
    const bobFromMallory: Message[] = []
    w.bob.conversations.get(cm.id)!.on('message', (m) => bobFromMallory.push(m))
    // Control: an honest message in mallory's own conversation is shown there.
    await cm.send({ text: 'hello bob' })
    await waitFor(() => bobFromMallory.length === 1, 10_000, 'honest mallory message')

    const target = w.cb.id
    w.proxy.inject('mallory', 'conversation', { id: target, kind: 'direct', members: ['bob', 'mallory'], encryption: w.cb.encryption, upgradeRequired: false, createdAt: Date.now(), lastSeq: 0 })
    await waitFor(() => mallory.conversations.get(target) !== undefined, 10_000, 'the puppet believes the conversation is hers')
    w.proxy.hooks.request = (event, req, ctx) => (event === 'message.send' && ctx.userId === 'mallory' && req.conversationId === target ? { ...req, conversationId: cm.id } : req)
    w.proxy.hooks.serverFrame = (event, frame, ctx) => {
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
