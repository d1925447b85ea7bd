/**
 * Policy rules: plaintext into e2ee is refused (DowngradeRejectedError); upgrades are signed,
 * one-way, stored in history and announced; a policy switch (restart or setPolicy) never
 * converts an e2ee conversation back and notifies every participant, offline ones on hello.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateDeviceIdentity } from '@parley/crypto'
import { connectDevice, errorCode, ok, type TestDevice } from './helpers/client.js'
import { e2eeSend, makeTestUser, modeChange, plainSend } from './helpers/device.js'
import { startTestServer, type TestServer } from './helpers/server.js'
import { memoryStore } from '../src/store/memory-store.js'

const open: { close(): unknown }[] = []
afterEach(async () => {
  for (const x of open.splice(0).reverse()) await x.close()
})
async function server(opts: Parameters<typeof startTestServer>[0]): Promise<TestServer> {
  const s = await startTestServer(opts)
  open.push(s)
  return s
}
async function device(url: string, ...args: Parameters<typeof connectDevice> extends [string, ...infer R] ? R : never): Promise<TestDevice> {
  const d = await connectDevice(url, ...args)
  open.push(d)
  return d
}

describe('policies', () => {
  it('default-e2ee: a plaintext frame for an e2ee conversation → downgrade_rejected, nothing stored', async () => {
    const s = await server({ policy: 'default-e2ee' })
    const alice = makeTestUser(1)
    const bob = makeTestUser(1)
    const a = await device(s.url, alice)
    await device(s.url, bob)
    const { conversation } = await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })
    expect(conversation.encryption).toBe('e2ee')
    expect(await errorCode(a.socket, 'message.send', plainSend(conversation.id, 'readable'))).toBe('downgrade_rejected')
    expect((await s.parley.store().getConversation(conversation.id))?.lastSeq).toBe(0)
  })

  it('optional-e2ee: unsigned, badly signed or foreign mode changes are refused; a signed one is one-way and announced', async () => {
    const s = await server({ policy: 'optional-e2ee' })
    const alice = makeTestUser(2)
    const bob = makeTestUser(1)
    const a1 = await device(s.url, alice, 0)
    const a2 = await device(s.url, alice, 1)
    const b1 = await device(s.url, bob)
    const { conversation: c } = await ok(a1.socket, 'conversation.open', { peerUserId: bob.userId })
    expect(c.encryption).toBe('server-side')
    await ok(a1.socket, 'message.send', plainSend(c.id, 'before'))

    const good = modeChange(alice, alice.devices[0]!, c.id)
    const zeroSig = { ...good, signature: Buffer.alloc(64).toString('base64') }
    expect(await errorCode(a1.socket, 'mode.upgrade', { modeChange: zeroSig })).toBe('invalid_signature')
    const strangerKey = modeChange(alice, generateDeviceIdentity('d1'), c.id)
    expect(await errorCode(a1.socket, 'mode.upgrade', { modeChange: strangerKey })).toBe('invalid_signature')
    expect(await errorCode(a1.socket, 'mode.upgrade', { modeChange: { ...good, ts: good.ts + 1 } })).toBe('invalid_signature')
    expect(await errorCode(a1.socket, 'mode.upgrade', { modeChange: modeChange(alice, alice.devices[1]!, c.id) })).toBe('forbidden')
    expect(await errorCode(a1.socket, 'mode.upgrade', { modeChange: { ...good, signature: undefined } })).toBe('invalid_frame')
    expect((await s.parley.store().getConversation(c.id))?.encryption).toBe('server-side')

    const up = await ok(a1.socket, 'mode.upgrade', { modeChange: good })
    expect(up.conversation).toMatchObject({ encryption: 'e2ee', modeChange: good })
    for (const d of [a2, b1]) {
      const [mode] = await d.modes.count(1)
      expect(mode).toMatchObject({ conversationId: c.id, encryption: 'e2ee', modeChange: good, seq: 2 })
      expect((await d.notices.count(1))[0]).toEqual({ kind: 'mode_changed', conversationId: c.id, encryption: 'e2ee', by: alice.userId, ts: expect.any(Number) })
      const delivered = await d.messages.until((items) => items.some((m) => m.kind === 'mode_change'))
      expect(delivered.find((m) => m.kind === 'mode_change')?.modeChange).toEqual(good)
    }
    expect((await a1.notices.count(1))[0]?.kind).toBe('mode_changed')
    // One-way: plaintext is now refused, and a second upgrade is a no-op.
    expect(await errorCode(b1.socket, 'message.send', plainSend(c.id, 'downgrade?'))).toBe('downgrade_rejected')
    expect((await ok(b1.socket, 'mode.upgrade', { modeChange: modeChange(bob, bob.devices[0]!, c.id) })).conversation.modeChange).toEqual(good)
    const sent = await ok(b1.socket, 'message.send', e2eeSend(c.id, 'secret', [{ userId: alice.userId, deviceId: 'd1' }, { userId: alice.userId, deviceId: 'd2' }]))
    expect(sent.seq).toBe(3)
    const history = await ok(a1.socket, 'history.fetch', { conversationId: c.id })
    expect(history.messages.map((m) => [m.seq, m.kind, m.mode])).toEqual([[3, 'message', 'e2ee'], [2, 'mode_change', 'e2ee'], [1, 'message', 'server-side']])
  })

  it('stored notices go out as codes: a row that fails the catalogue schema is skipped, not sent, and the cursor moves past it', async () => {
    const store = memoryStore()
    const s = await server({ policy: 'optional-e2ee', store })
    const alice = makeTestUser(1)
    const first = await connectDevice(s.url, alice)
    const address = { userId: first.userId, deviceId: first.deviceId }
    first.close()
    const valid = { kind: 'policy_changed' as const, policy: 'optional-e2ee' as const, previousPolicy: 'server-side' as const, ts: 2 }
    // A legacy row that cannot be repaired (mode_changed with neither `by` nor text), then a good one.
    await store.addNotices([
      { userId: alice.userId, notice: { kind: 'mode_changed', conversationId: 'c_1', encryption: 'e2ee', ts: 1 } as never },
      { userId: alice.userId, notice: valid },
    ])
    const again = await device(s.url, alice)
    expect(await again.notices.count(1)).toEqual([valid])
    await new Promise((r) => setTimeout(r, 100))
    expect(again.notices.items).toEqual([valid])
    expect(await store.pendingNotices(address)).toEqual([])
  })

  it('server-side policy: upgrading is a policy violation', async () => {
    const s = await server({ policy: 'server-side' })
    const alice = makeTestUser(1)
    const bob = makeTestUser(1)
    const a = await device(s.url, alice)
    await device(s.url, bob)
    const { conversation: c } = await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })
    expect(await errorCode(a.socket, 'mode.upgrade', { modeChange: modeChange(alice, alice.devices[0]!, c.id) })).toBe('policy_violation')
  })

  it('restart from default-e2ee to server-side: e2ee conversations stay e2ee; online and offline participants get notices', async () => {
    const store = memoryStore()
    const alice = makeTestUser(1)
    const bob = makeTestUser(1)
    const first = await startTestServer({ policy: 'default-e2ee', store })
    const a = await connectDevice(first.url, alice)
    const b = await connectDevice(first.url, bob)
    const { conversation: e } = await ok(a.socket, 'conversation.open', { peerUserId: bob.userId })
    a.close()
    b.close()
    await first.close() // memoryStore.close() keeps its data: a "restart" on the same store

    const second = await server({ policy: 'server-side', store })
    const a2 = await device(second.url, alice)
    expect(a2.hello.manifest.policy).toBe('server-side')
    const [n] = await a2.notices.count(1)
    expect(n).toMatchObject({ kind: 'policy_changed', conversationId: e.id, policy: 'server-side', previousPolicy: 'default-e2ee', encryption: 'e2ee' })
    expect((await ok(a2.socket, 'conversation.list', {})).conversations[0]?.encryption).toBe('e2ee')
    expect(await errorCode(a2.socket, 'message.send', plainSend(e.id, 'now readable?'))).toBe('downgrade_rejected')
    const carol = makeTestUser(1)
    await device(second.url, carol)
    expect((await ok(a2.socket, 'conversation.open', { peerUserId: carol.userId })).conversation.encryption).toBe('server-side')

    // Live switch up to default-e2ee: the server-side conversation needs an upgrade before its next send.
    const manifests: string[] = []
    a2.socket.on('manifest', (m: { policy: string }) => manifests.push(m.policy))
    await second.parley.setPolicy('default-e2ee')
    const notes = await a2.notices.until((items) => items.some((x) => x.kind === 'upgrade_required'))
    expect(notes.filter((x) => x.kind === 'policy_changed' && x.encryption === 'e2ee')).toHaveLength(2)
    expect(manifests).toEqual(['default-e2ee'])
    const withCarol = (await ok(a2.socket, 'conversation.list', {})).conversations.find((c) => c.id !== e.id)!
    expect(withCarol).toMatchObject({ encryption: 'server-side', upgradeRequired: true })
    expect(await errorCode(a2.socket, 'message.send', plainSend(withCarol.id, 'still plain?'))).toBe('policy_violation')
    await ok(a2.socket, 'mode.upgrade', { modeChange: modeChange(alice, alice.devices[0]!, withCarol.id) })

    // Bob was offline through both switches: both notices wait for his hello.
    const b2 = await device(second.url, bob)
    const bobNotes = await b2.notices.count(2)
    expect(bobNotes.map((x) => x.kind === 'policy_changed' ? [x.kind, x.policy, x.encryption] : [x.kind])).toEqual([
      ['policy_changed', 'server-side', 'e2ee'], ['policy_changed', 'default-e2ee', 'e2ee'],
    ])
  })
})
