/**
 * Row 14 (part) — (a) a hostile server delivers a mode change signed by a real device of a
 * user who is NOT a member (mallory), to attribute an upgrade to an outsider; (b) it strips
 * an E2EE attachment so the recipient's error would carry the attachment's (encrypted) name.
 * Safe outcomes: (a) `MemberMismatchError`, no pin from that record; (b) the error names the
 * attachment by position only. Controls: (a) the same forged delivery carrying a member's
 * signed record pins E2EE and attributes it to that member — the path reaches the client;
 * (b) the stripped frame produced the error.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { signModeChange, type DeviceIdentity } from '@parley/crypto'
import { memoryKeyStore, type KeyStore, type ModeEventPayload } from '@parley/client'
import { connect, waitFor } from '../helpers/parley.js'
import { codes, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

async function deviceOf(store: KeyStore): Promise<{ userId: string; deviceId: string; device: DeviceIdentity }> {
  const self = (await store.get('self')) as unknown as { userId: string; deviceId: string; device: DeviceIdentity }
  return self
}

/** Rewrites alice's next message delivery to bob into a mode_change delivery carrying `mc`. */
function forgeModeChange(world: HostileWorld, mc: unknown): void {
  let done = false
  world.proxy.hooks.serverFrame = (event, frame) => {
    if (done || event !== 'message' || frame.kind !== 'message' || frame.sender.userId !== 'alice') return [frame]
    done = true
    const { body: _b, envelope: _e, attachments: _a, franking: _f, clientMessageId: _c, ...rest } = frame
    return [{ ...rest, kind: 'mode_change', mode: 'e2ee', modeChange: mc }]
  }
}

describe('row 14: mode change signer and attachment names', () => {
  it('(a) a mode change signed by a non-member is refused', async () => {
    w = await hostileWorld('optional-e2ee')
    const malloryStore = memoryKeyStore()
    w.clients.push(await connect(w.server.url, 'mallory', { keyStore: malloryStore }))
    const m = await deviceOf(malloryStore)
    const forged = signModeChange(m.device, { conversationId: w.cb.id, from: 'server-side', to: 'e2ee', userId: m.userId, deviceId: m.deviceId, ts: Date.now() })
    forgeModeChange(w, forged)
    await w.ca.send({ text: 'becomes the forged mode change' })
    await waitFor(() => codes(w.bobErrors).includes('member_mismatch'), 10_000, 'member_mismatch')
    expect(w.bobErrors.find((e) => e.error.code === 'member_mismatch')!.error.details).toMatchObject({ userId: 'mallory' })
    expect(w.cb.encryption).toBe('server-side')
  })

  it('(a) control: the same forged delivery with a member\'s signed record pins and attributes it', async () => {
    w = await hostileWorld('optional-e2ee')
    const a = await deviceOf(w.aliceStore)
    const mc = signModeChange(a.device, { conversationId: w.cb.id, from: 'server-side', to: 'e2ee', userId: a.userId, deviceId: a.deviceId, ts: Date.now() })
    const modes: ModeEventPayload[] = []
    w.cb.on('mode', (p) => modes.push(p))
    forgeModeChange(w, mc)
    await w.ca.send({ text: 'becomes a genuine mode change' })
    await waitFor(() => w.cb.encryption === 'e2ee', 10_000, 'pinned by the member record')
    expect(modes.at(-1)?.by).toEqual({ userId: 'alice', deviceId: a.deviceId })
    expect(codes(w.bobErrors)).not.toContain('member_mismatch')
  })

  it('(b) an error about an E2EE attachment never carries its name', async () => {
    w = await hostileWorld('default-e2ee')
    w.proxy.hooks.serverFrame = (event, frame) => (event === 'message' && frame.kind === 'message' && frame.attachments?.length ? [{ ...frame, attachments: [] }] : [frame])
    await w.ca.send({ text: 'see attached', attachments: [{ name: 'secret-plan-for-q3.pdf', mime: 'application/pdf', data: new Uint8Array([1, 2, 3]) }] })
    await waitFor(() => w.bobErrors.length > 0, 10_000, 'an error for the stripped attachment')
    for (const e of w.bobErrors) {
      expect(e.error.message).not.toContain('secret-plan')
      expect(JSON.stringify(e.error.details)).not.toContain('secret-plan')
    }
    expect(w.bobGot).toEqual([])
  })
})
