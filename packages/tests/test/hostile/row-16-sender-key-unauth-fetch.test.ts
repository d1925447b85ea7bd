/**
 * Row 16 (sender keys): an unauthenticated sender-key delivery (no distribution envelope, garbage
 * ciphertext, a made-up device of a member) makes the receiver fetch and verify that member's
 * device list (a keys.fetch round trip inside the crypto lock, which returns and verifies every device's bundle) before any chain lookup or
 * signature check used to cost a keys.fetch round trip each (claiming prekeys). The chain is now
 * looked up and the signature verified first, and the device checked with devicelist.fetch only.
 */
import { afterEach, expect, it } from 'vitest'
import { toBase64 } from '@parley/protocol'
import { waitFor } from '../helpers/parley.js'
import { type GroupWorld, type Member } from '../groups/_group-world.js'
import { e2eeGroup, inject, senderKeyWorld } from '../groups/_sender-key-world.js'

let w: GroupWorld
afterEach(async () => w?.close())

it('forged sender-key frames cost no network round trip before authentication ', async () => {
  const policy = 'default-e2ee' as const
  const sk = await senderKeyWorld(policy, ['alice', 'bob', 'carol'], ['bob'])
  w = sk.w
  const { bob } = sk.m as Record<'alice' | 'bob' | 'carol', Member>
  const ga = await e2eeGroup(w, policy, sk.m.alice!, ['bob', 'carol'])
  let fetches = 0
  w.proxy.hooks.request = (event, req, ctx) => {
    if (ctx.userId === 'bob' && (event === 'devicelist.fetch' || event === 'keys.fetch')) fetches++
    return req
  }
  const N = 5
  for (let i = 0; i < N; i++) {
    const junk = new Uint8Array(120); junk[0] = 1; junk[4] = 7
    inject(w, 'bob', {
      kind: 'message', messageId: `m_forged_${i}`, conversationId: ga.id, seq: 900 + i, sender: { userId: 'alice', deviceId: `d-ghost${i}` }, mode: 'e2ee',
      senderKey: { keyId: 7, ciphertext: toBase64(junk) }, franking: { tf: toBase64(new Uint8Array(32)), rf: toBase64(new Uint8Array(32)), kid: 'k1' },
    })
  }
  await waitFor(() => bob.errors.filter((e) => String(e.messageId).startsWith('m_forged_')).length === N, 10_000, 'bob processed the forged frames')
  // Control: the frames reached bob and were refused (no chain with that id).
  expect(bob.errors.filter((e) => String(e.messageId).startsWith('m_forged_')).every((e) => e.error.code === 'missing_session')).toBe(true)
  expect(fetches).toBe(0)
})
