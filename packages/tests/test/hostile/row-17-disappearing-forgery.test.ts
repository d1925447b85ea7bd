/**
 * Row 17 — a hostile server tries to forge or change a conversation's disappearing-messages
 * setting (issue 17): (a) it rewrites the timer of a genuine setting on its way to bob (to make
 * bob's copies vanish early); (b) it injects a setting of its own: one claiming alice but not
 * signed by her device, one validly signed by a real device of a non-member; (c) it replays an
 * older genuine setting to roll the timer back. Safe outcomes: (a, b) `DisappearingRejectedError`
 * (`bad_signature` / `not_member`) on bob's client, and the pin stays as it was; (c) the pin
 * stays at the newer setting. Controls: the untouched setting crosses the same proxy and is
 * pinned (the path reaches bob), and the injection path is the one that produced (b)'s errors.
 * (d) A client's request altered on its way (a setting that no longer verifies, or signed as
 * another user) is refused by the server itself (`disappearing_rejected` / `forbidden`) and
 * nothing is stored. The same in every mode: the setting is signed in every mode.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { signDisappearing, type DeviceIdentity } from '@parley/crypto'
import { memoryKeyStore, type KeyStore } from '@parley/client'
import type { DisappearingSetting } from '@parley/protocol'
import { connect, waitFor } from '../helpers/parley.js'
import { codes, hostileWorld, POLICIES, type HostileWorld } from './_world.js'

let w: HostileWorld | undefined
afterEach(async () => {
  await w?.close()
  w = undefined
})

async function deviceOf(store: KeyStore): Promise<{ userId: string; deviceId: string; device: DeviceIdentity }> {
  return (await store.get('self')) as unknown as { userId: string; deviceId: string; device: DeviceIdentity }
}

const rejection = (world: HostileWorld) => world.bobErrors.filter((e) => e.error.code === 'disappearing_rejected').map((e) => e.error.details as { reason?: string })

describe.each(POLICIES)('row 17: disappearing settings under %s', (policy) => {
  it('(a) a setting whose timer the server changed is refused; control: the untouched one crosses the same proxy and is pinned', async () => {
    w = await hostileWorld(policy)
    const world = w
    let rewritten = 0
    world.proxy.hooks.serverFrame = (event, frame) => {
      if (event !== 'disappearing' || rewritten > 0) return [frame]
      rewritten++
      return [{ setting: { ...frame.setting, ms: 1_000 } }]
    }
    await world.ca.setDisappearing(60_000)
    await waitFor(() => rejection(world).length === 1, 10_000, 'the rewritten setting refused')
    expect(rewritten).toBe(1) // the forged frame reached bob's client
    expect(rejection(world)[0]).toMatchObject({ reason: 'bad_signature', version: 1 })
    expect(world.cb.disappearingMs).toBeNull()
    // Control: the next genuine setting crosses the same proxy untouched and is pinned.
    await world.ca.setDisappearing(60_000)
    await waitFor(() => world.cb.disappearingMs === 60_000, 10_000, 'the genuine setting pinned')
  })

  it('(b) injected settings — unsigned by the claimed device, or signed by a non-member — are refused', async () => {
    w = await hostileWorld(policy)
    const world = w
    const malloryStore = memoryKeyStore()
    world.clients.push(await connect(world.server.url, 'mallory', { keyStore: malloryStore }))
    const m = await deviceOf(malloryStore)
    const a = await deviceOf(world.aliceStore)
    // Claims alice's device, signed by mallory's key.
    const claimed = signDisappearing(m.device, { conversationId: world.cb.id, ms: 1_000, version: 1, userId: 'alice', deviceId: a.deviceId, ts: Date.now() })
    world.proxy.inject('bob', 'disappearing', { setting: claimed })
    await waitFor(() => rejection(world).length === 1, 10_000, 'the mis-signed setting refused')
    expect(rejection(world)[0]).toMatchObject({ reason: 'bad_signature', userId: 'alice' })
    // Validly signed by a real device of a user who is not a member.
    const outsider = signDisappearing(m.device, { conversationId: world.cb.id, ms: 1_000, version: 1, userId: 'mallory', deviceId: m.deviceId, ts: Date.now() })
    world.proxy.inject('bob', 'disappearing', { setting: outsider })
    await waitFor(() => rejection(world).length === 2, 10_000, 'the non-member setting refused')
    expect(rejection(world)[1]).toMatchObject({ reason: 'not_member', userId: 'mallory' })
    expect(world.cb.disappearingMs).toBeNull()
    // Control: a setting alice's device really signed, injected the same way, is pinned.
    const genuine = signDisappearing(a.device, { conversationId: world.cb.id, ms: 5_000, version: 1, userId: 'alice', deviceId: a.deviceId, ts: Date.now() })
    world.proxy.inject('bob', 'disappearing', { setting: genuine })
    await waitFor(() => world.cb.disappearingMs === 5_000, 10_000, 'the genuine injected setting pinned')
    expect(codes(world.bobErrors).filter((c) => c === 'disappearing_rejected')).toHaveLength(2)
  })

  it('(d) the server itself refuses a setting that does not verify or signs as another user, and stores nothing', async () => {
    w = await hostileWorld(policy)
    const world = w
    let rewrites = 0
    let as: 'alice' | 'ms' = 'ms'
    world.proxy.hooks.request = (event, request) => {
      if (event !== 'conversation.disappearing') return request
      rewrites++
      return { setting: as === 'ms' ? { ...request.setting, ms: 1_000 } : { ...request.setting, userId: 'alice' } }
    }
    const refused = await world.cb.setDisappearing(60_000).then(() => null, (e: { code?: string; details?: unknown }) => e)
    expect(refused).toMatchObject({ code: 'disappearing_rejected', details: { reason: 'bad_signature' } })
    as = 'alice'
    const forbidden = await world.cb.setDisappearing(60_000).then(() => null, (e: { code?: string }) => e)
    expect(forbidden).toMatchObject({ code: 'forbidden' })
    expect(rewrites).toBe(2) // both rewritten frames reached the server
    expect((await world.server.parley.store().getConversation(world.cb.id))!.disappearing).toBeUndefined()
    expect(world.cb.disappearingMs).toBeNull()
  })

  it('(c) a replayed older setting does not roll the timer back', async () => {
    w = await hostileWorld(policy)
    const world = w
    const captured: DisappearingSetting[] = []
    world.proxy.hooks.serverFrame = (event, frame) => {
      if (event === 'disappearing') captured.push(frame.setting)
      return [frame]
    }
    await world.ca.setDisappearing(60_000)
    await waitFor(() => world.cb.disappearingMs === 60_000, 10_000, 'v1 pinned')
    await world.ca.setDisappearing(null)
    await waitFor(() => captured.length === 2 && world.cb.disappearingMs === null, 10_000, 'v2 (off) pinned')
    world.proxy.inject('bob', 'disappearing', { setting: captured[0] })
    // The same injection path delivers (b)'s frames; give the replay time to be processed.
    await new Promise((r) => setTimeout(r, 300))
    expect(world.cb.disappearingMs).toBeNull()
    expect(codes(world.bobErrors)).not.toContain('disappearing_rejected')
  })
})
