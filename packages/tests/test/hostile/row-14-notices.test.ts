/**
 * Row 14 (notices) — a hostile server sends a system notice carrying words of its choosing
 * ("Your account is locked, log in at …") for clients to show in their trusted system-notice
 * UI. Safe outcome: notices are codes from a closed catalogue; a `notice` frame with free-form
 * `text` fails the strict schema at the client's edge (`InvalidFrameError` on `'error'`, no
 * `'notice'` event), and a notice naming a user who is not a member of the conversation is
 * refused (`MemberMismatchError`). Control: the same injected notice without `text` IS emitted
 * and `noticeText` renders it from the client's own catalogue, so the injection path reaches
 * the client; and an honest upgrade's notice renders with the signer's id.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { InvalidFrameError, MemberMismatchError, type Notice } from '@parley/protocol'
import { noticeText } from '@parley/client'
import { waitFor } from '../helpers/parley.js'
import { codes, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

const PHISH = 'Your account is locked, log in at https://parley-support.evil.example to unlock it'

/** Collects every notice bob's client and bob's side of the conversation emit. */
function collectNotices(world: HostileWorld): { client: Notice[]; convo: Notice[] } {
  const got = { client: [] as Notice[], convo: [] as Notice[] }
  world.bob.on('notice', (n) => got.client.push(n))
  world.cb.on('notice', (n) => got.convo.push(n))
  return got
}

/** A valid catalogue notice about bob's real conversation (what a version-2 server sends). */
function policyNotice(world: HostileWorld): Notice {
  return { kind: 'policy_changed', conversationId: world.cb.id, policy: 'optional-e2ee', previousPolicy: 'optional-e2ee', encryption: 'server-side', ts: Date.now() }
}

describe('row 14: free-form notice text rendered by clients', () => {
  it('(a) a notice with free-form text is refused at the edge: InvalidFrameError, no notice event', async () => {
    w = await hostileWorld('optional-e2ee')
    const got = collectNotices(w)
    w.proxy.inject('bob', 'notice', { ...policyNotice(w), text: PHISH })
    // A valid notice after it on the same socket: once it arrives, the forged one was handled.
    const marker: Notice = { kind: 'upgrade_required', conversationId: w.cb.id, policy: 'default-e2ee', previousPolicy: 'optional-e2ee', encryption: 'server-side', ts: Date.now() }
    w.proxy.inject('bob', 'notice', marker)
    await waitFor(() => got.client.length >= 1, 10_000, 'marker notice')
    expect(got.client).toEqual([marker])
    expect(got.convo).toEqual([marker])
    expect(codes(w.bobErrors)).toEqual(['invalid_frame'])
    expect(InvalidFrameError.isInstance(w.bobErrors[0]!.error)).toBe(true)
    // The refused words appear nowhere the app could show them.
    expect(JSON.stringify(w.bobErrors)).not.toContain('evil.example')
    expect(got.client.map((n) => noticeText(n)).join('\n')).not.toContain('evil.example')
  })

  it('(b) a notice naming a user who is not a member is refused: MemberMismatchError, no notice event', async () => {
    w = await hostileWorld('optional-e2ee')
    const got = collectNotices(w)
    w.proxy.inject('bob', 'notice', { kind: 'mode_changed', conversationId: w.cb.id, encryption: 'e2ee', by: 'mallory', ts: Date.now() })
    const marker = policyNotice(w)
    w.proxy.inject('bob', 'notice', marker)
    await waitFor(() => got.client.length >= 1, 10_000, 'marker notice')
    expect(got.client).toEqual([marker])
    expect(codes(w.bobErrors)).toEqual(['member_mismatch'])
    expect(MemberMismatchError.isInstance(w.bobErrors[0]!.error)).toBe(true)
    expect(w.bobErrors[0]!.conversationId).toBe(w.cb.id)
  })

  it('control: the same injected notice without text is emitted and rendered from the catalogue', async () => {
    w = await hostileWorld('optional-e2ee')
    const got = collectNotices(w)
    const notice = policyNotice(w)
    w.proxy.inject('bob', 'notice', notice)
    await waitFor(() => got.convo.length >= 1, 10_000, 'injected notice')
    expect(got.client).toEqual([notice])
    expect(got.convo).toEqual([notice])
    expect(codes(w.bobErrors)).toEqual([])
    expect(noticeText(got.convo[0]!, { encryption: w.cb.encryption }))
      .toBe('The server policy changed from optional-e2ee to optional-e2ee. This conversation is readable by the server.')
  })

  it('control: an honest upgrade reaches bob as a mode_changed code rendered with the signer’s id', async () => {
    w = await hostileWorld('optional-e2ee')
    const got = collectNotices(w)
    await w.ca.upgradeToE2EE()
    await waitFor(() => got.convo.some((n) => n.kind === 'mode_changed'), 10_000, 'mode_changed notice')
    const n = got.convo.find((x) => x.kind === 'mode_changed')!
    expect(n).toEqual({ kind: 'mode_changed', conversationId: w.cb.id, encryption: 'e2ee', by: 'alice', ts: expect.any(Number) })
    expect(noticeText(n)).toBe('alice turned on end-to-end encryption for this conversation. It cannot be turned off.')
    expect(codes(w.bobErrors)).toEqual([])
  })
})
