/**
 * A hostile server (a tampering proxy in front of the real one) tries to (a) push a
 * server-side frame into an E2EE conversation, (b) swap a peer's identity key or device
 * list, (c) replay an old envelope, (d) drop the mode change. The client detects each with
 * its typed error and the UI-facing `'error'` event.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { generateUserIdentity, signDeviceList } from '@parley/crypto'
import type { ErrorPayload, Message, ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer, closeAll } from './helpers/parley.js'
import { startTamperProxy, type TamperProxy } from './helpers/tamper-proxy.js'

let server: TestServer
let proxy: TamperProxy
const clients: ParleyClient[] = []
afterEach(() => closeAll({ clients, proxy, server }))

async function setup(policy: 'default-e2ee' | 'optional-e2ee') {
  server = await startServer({ policy })
  proxy = await startTamperProxy(server.url)
  const alice = await connect(server.url, 'alice') // honest path
  const bob = await connect(proxy.url, 'bob') // behind the hostile server
  clients.push(alice, bob)
  const ca = await alice.conversations.open('bob')
  const cb = await bob.conversations.open('alice')
  const bobErrors: ErrorPayload[] = []
  const convErrors: ErrorPayload[] = []
  bob.on('error', (e) => bobErrors.push(e))
  cb.on('error', (e) => convErrors.push(e))
  const bobGot: Message[] = []
  cb.on('message', (m) => m.status === 'received' && bobGot.push(m))
  return { alice, bob, ca, cb, bobErrors, convErrors, bobGot }
}

describe('hostile server', () => {
  it('(a) a server-side frame in an E2EE conversation → DowngradeRejectedError, not shown', async () => {
    const { ca, cb, bobErrors, convErrors, bobGot } = await setup('default-e2ee')
    await ca.send({ text: 'honest e2ee' })
    await waitFor(() => bobGot.length === 1, 10_000, 'first message')
    expect(cb.encryption).toBe('e2ee')
    proxy.hooks.serverFrame = (event, frame) => {
      if (event !== 'message' || frame.mode !== 'e2ee') return [frame]
      const { envelope: _e, attachments: _a, ...rest } = frame
      return [{ ...rest, mode: 'server-side', body: { text: 'read me, server', attachments: [], nf: 'A'.repeat(43) + '=' } }]
    }
    await ca.send({ text: 'second' })
    await waitFor(() => convErrors.length > 0, 10_000, 'error event')
    expect(convErrors[0]!.error.code).toBe('downgrade_rejected')
    expect(bobErrors.some((e) => e.error.code === 'downgrade_rejected')).toBe(true)
    expect(bobGot.map((m) => m.text)).toEqual(['honest e2ee'])
    expect(cb.encryption).toBe('e2ee')
  })

  it('(b) a swapped identity key blocks sending with IdentityChangedError until accepted', async () => {
    const { bob, ca, cb, bobErrors, bobGot } = await setup('default-e2ee')
    await cb.send({ text: 'bob pins alice' })
    await ca.send({ text: 'reply' })
    await waitFor(() => bobGot.length === 1, 10_000, 'reply')
    const before = await cb.safetyNumber()
    const attacker = generateUserIdentity()
    // The hostile server answers both ways the client reads a key (keys.fetch, and devicelist.fetch,
    // which a client re-reads after devicelist.changed) with the attacker's key.
    const swap = (entry: { userIdentityKey: string; deviceList: Parameters<typeof signDeviceList>[1] & { signature: string } }) => {
      const { signature: _s, ...list } = entry.deviceList
      return { ...entry, userIdentityKey: attacker.publicKey, deviceList: signDeviceList(attacker, list) }
    }
    proxy.hooks.ack = (event, _req, res) => {
      if (!res.ok) return res
      if (event === 'keys.fetch' && res.data.userId === 'alice') return { ok: true, data: swap(res.data) }
      if (event === 'devicelist.fetch') return { ok: true, data: { lists: res.data.lists.map((l: { userId: string }) => (l.userId === 'alice' ? swap(l as never) : l)) } }
      return res
    }
    proxy.inject('bob', 'devicelist.changed', { userId: 'alice', version: 99, ts: Date.now() })
    await new Promise((r) => setTimeout(r, 50))
    await expect(cb.send({ text: 'to the attacker?' })).rejects.toMatchObject({ code: 'identity_changed' })
    expect(bobErrors.some((e) => e.error.code === 'identity_changed')).toBe(true)
    // Still blocked on the next try, without asking the server again.
    await expect(cb.send({ text: 'again' })).rejects.toMatchObject({ code: 'identity_changed' })
    const after = await cb.safetyNumber()
    expect(after.digits).not.toBe(before.digits)
    expect(await cb.acceptIdentity()).toBe(true)
    expect(bob.userId).toBe('bob')
  })

  it('(b) a device list altered without the user key signature → InvalidDeviceListError', async () => {
    const { ca, cb, bobErrors, bobGot } = await setup('default-e2ee')
    await cb.send({ text: 'bob pins alice' })
    await ca.send({ text: 'reply' })
    await waitFor(() => bobGot.length === 1, 10_000, 'reply')
    const fake = generateUserIdentity()
    proxy.hooks.ack = (event, _req, res) => {
      if (event !== 'keys.fetch' || !res.ok || res.data.userId !== 'alice') return res
      const devices = [...res.data.deviceList.devices, { deviceId: 'evil', signingKey: fake.publicKey, identityKey: fake.publicKey }]
      return { ok: true, data: { ...res.data, deviceList: { ...res.data.deviceList, version: res.data.deviceList.version + 1, devices } } }
    }
    proxy.inject('bob', 'devicelist.changed', { userId: 'alice', version: 99, ts: Date.now() })
    await new Promise((r) => setTimeout(r, 50))
    await expect(cb.send({ text: 'to an extra device?' })).rejects.toMatchObject({ code: 'invalid_device_list' })
    expect(bobErrors.some((e) => e.error.code === 'invalid_device_list')).toBe(true)
  })

  it('(c) a replayed envelope → DuplicateMessageError, shown once', async () => {
    const { ca, bobErrors, convErrors, bobGot } = await setup('default-e2ee')
    let captured: any
    proxy.hooks.serverFrame = (event, frame) => {
      if (event === 'message' && frame.mode === 'e2ee') {
        if (!captured) captured = frame
        else if (frame.seq > captured.seq + 1) return [{ ...frame, envelope: captured.envelope, attachments: captured.attachments }]
      }
      return [frame]
    }
    await ca.send({ text: 'one' })
    await ca.send({ text: 'two' })
    await ca.send({ text: 'three (replaced by a replay of one)' })
    await waitFor(() => convErrors.length > 0, 10_000, 'error event')
    expect(['duplicate', 'replayed']).toContain(convErrors[0]!.error.code)
    expect(bobErrors.length).toBeGreaterThan(0)
    expect(bobGot.map((m) => m.text)).toEqual(['one', 'two'])
  })

  it('(d) a dropped mode change is detected when E2EE content arrives; the conversation is pinned', async () => {
    const { ca, cb, bobErrors, convErrors, bobGot } = await setup('optional-e2ee')
    await ca.send({ text: 'plain one' })
    await waitFor(() => bobGot.length === 1, 10_000, 'first')
    proxy.hooks.serverFrame = (event, frame) => {
      if (event === 'mode' || event === 'notice' || event === 'conversation') return []
      if (event === 'message' && frame.kind === 'mode_change') return []
      return [frame]
    }
    // Withheld from catch-up too (bob's client syncs when a live delivery shows an inbox gap).
    proxy.hooks.ack = (event, _req, res) =>
      event === 'inbox.sync' && res?.ok ? { ...res, data: { ...res.data, deliveries: res.data.deliveries.filter((d: any) => d.kind !== 'mode_change') } } : res
    await ca.upgradeToE2EE()
    expect(cb.encryption).toBe('server-side') // bob has not been told
    await ca.send({ text: 'now encrypted' })
    await waitFor(() => convErrors.length > 0, 10_000, 'error event')
    expect(convErrors[0]!.error.code).toBe('downgrade_rejected')
    expect(bobErrors.some((e) => e.error.code === 'downgrade_rejected')).toBe(true)
    expect(cb.encryption).toBe('e2ee')
    await waitFor(() => bobGot.length === 2, 10_000, 'encrypted message shown')
    expect(bobGot[1]).toMatchObject({ text: 'now encrypted', encryption: 'e2ee' })
    // From now on bob sends encrypted, whatever the server says.
    const ack = await cb.send({ text: 'bob replies' })
    expect(ack.seq).toBeGreaterThan(0)
    const rows = await server.parley.store().history(ca.id, { userId: 'bob', deviceId: clients[1]!.deviceId }, undefined, 10, Date.now())
    expect(rows.find((r) => r.message.seq === ack.seq)?.message.mode).toBe('e2ee')
  })
})
