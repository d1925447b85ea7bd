/**
 * Row 1 — a hostile server re-announces an existing 1:1 (a `conversation` frame, the
 * `conversation.list` answer, the `conversation.open` answer) with the same id and another
 * member. Safe outcome: the pinned members stay, `MemberMismatchError` is surfaced, and the
 * next send still goes only to the real peer. Control: the tampered frames reached bob's
 * client (the typed error names the conversation), and an injected frame for a NEW id is
 * accepted — the proxy's path into the client works.
 */
import { afterEach, describe, expect, it } from 'vitest'
import type { ParleyClient } from '@parley/client'
import { connect, waitFor } from '../helpers/parley.js'
import { POLICIES, codes, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

describe.each(POLICIES)('row 1: retargeting a 1:1 (%s)', (policy) => {
  it('keeps the pinned members against a conversation frame, a list answer and an open answer', async () => {
    w = await hostileWorld(policy)
    const mallory: ParleyClient = await connect(w.server.url, 'mallory')
    w.clients.push(mallory)
    const { cb, ca, proxy, bob, bobErrors } = w
    const encryption = cb.encryption
    const forged = { id: cb.id, kind: 'direct', members: ['bob', 'mallory'], encryption, upgradeRequired: false, createdAt: Date.now(), lastSeq: 0 }

    // (a) a `conversation` frame
    proxy.inject('bob', 'conversation', forged)
    await waitFor(() => bobErrors.some((e) => e.error.code === 'member_mismatch' && e.conversationId === cb.id), 10_000, 'member_mismatch (frame)')
    expect(cb.peerUserId).toBe('alice')
    expect([...cb.members].sort()).toEqual(['alice', 'bob'])

    // (b) the `conversation.list` answer and (c) the `conversation.open` answer
    proxy.hooks.ack = (event, _req, res) => {
      if ((event === 'conversation.list') && res.ok) {
        return { ok: true, data: { conversations: res.data.conversations.map((i: any) => (i.id === cb.id ? { ...i, members: ['bob', 'mallory'] } : i)) } }
      }
      if (event === 'conversation.open' && res.ok) return { ok: true, data: { conversation: { ...res.data.conversation, members: ['bob', 'mallory'] } } }
      return res
    }
    const before = bobErrors.length
    const listed = await bob.conversations.list()
    expect(listed.map((c) => c.id)).not.toContain(cb.id)
    expect(codes(bobErrors.slice(before))).toContain('member_mismatch')
    await expect(bob.conversations.open('alice')).rejects.toMatchObject({ code: 'member_mismatch' })
    expect(bob.conversations.get(cb.id)?.peerUserId).toBe('alice')

    // The next send goes to alice only (E2EE: envelopes for alice's and bob's devices only).
    const sent: any[] = []
    proxy.hooks.request = (event, req) => {
      if (event === 'message.send') sent.push(req)
      return req
    }
    const aliceGot: string[] = []
    ca.on('message', (m) => m.status === 'received' && aliceGot.push(m.text))
    await cb.send({ text: 'for alice only' })
    await waitFor(() => aliceGot.includes('for alice only'), 10_000, 'alice receives')
    expect(sent.length).toBe(1)
    for (const e of sent[0].envelopes ?? []) expect(['alice', 'bob']).toContain(e.userId)
    if (encryption === 'e2ee') expect(sent[0].envelopes.some((e: any) => e.userId === 'alice')).toBe(true)

    // Control: an injected frame for a new id (bob is a member) is taken — the path works.
    proxy.inject('bob', 'conversation', { ...forged, id: 'c_injected_new', members: ['bob', 'mallory'] })
    await waitFor(() => bob.conversations.get('c_injected_new') !== undefined, 10_000, 'new conversation accepted')
    expect(bob.conversations.get('c_injected_new')!.peerUserId).toBe('mallory')
  })

  it('refuses a conversation this user is not a member of', async () => {
    w = await hostileWorld(policy)
    {
      w.proxy.inject('bob', 'conversation', { id: 'c_not_mine', kind: 'direct', members: ['alice', 'mallory'], encryption: w.cb.encryption, upgradeRequired: false, createdAt: Date.now(), lastSeq: 0 })
    }
    await waitFor(() => w.bobErrors.some((e) => e.error.code === 'member_mismatch' && e.conversationId === 'c_not_mine'), 10_000, 'member_mismatch')
    expect(w.bob.conversations.get('c_not_mine')).toBeUndefined()
  })
})

describe('row 1 (found in review): a second conversation id for a pinned pair', () => {
  it('refuses an open() answer with a new server-side id for the same peer', async () => {
    w = await hostileWorld('optional-e2ee')
    await w.ca.upgradeToE2EE()
    await waitFor(() => w.cb.encryption === 'e2ee', 10_000, 'bob pinned')
    let answered = 0
    w.proxy.hooks.ack = (event, _req, res) => {
      if (event === 'conversation.open' && res.ok && ++answered) {
        const { modeChange: _m, ...rest } = res.data.conversation
        return { ok: true, data: { conversation: { ...rest, id: 'c_fresh_downgrade', encryption: 'server-side', upgradeRequired: false, lastSeq: 0 } } }
      }
      return res
    }
    await expect(w.bob.conversations.open('alice')).rejects.toMatchObject({ code: 'member_mismatch' })
    expect(answered).toBe(1) // control: the forged answer reached the client
    expect(w.bob.conversations.get('c_fresh_downgrade')).toBeUndefined()
  })

  it('refuses a conversation frame with a new id for the same members', async () => {
    w = await hostileWorld('default-e2ee')
    w.proxy.inject('bob', 'conversation', { id: 'c_fresh2', kind: 'direct', members: ['alice', 'bob'], encryption: 'server-side', upgradeRequired: false, createdAt: Date.now(), lastSeq: 0 })
    await waitFor(() => w.bobErrors.some((e) => e.error.code === 'member_mismatch' && e.conversationId === 'c_fresh2'), 10_000, 'member_mismatch')
    expect(w.bob.conversations.get('c_fresh2')).toBeUndefined()
  })
})
