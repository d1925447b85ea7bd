/**
 * One upgrade to E2EE emits exactly one `mode` event on each side (conversation and client
 * level), attributed to the upgrading device, however the server's `mode` frame, the
 * `mode.upgrade` ack and the `mode_change` delivery interleave.
 */
import { afterAll, describe, expect, it } from 'vitest'
import type { ModeEventPayload, ParleyClient } from '@parley/client'
import { connect, startServer, waitFor, type TestServer } from './helpers/parley.js'

describe('mode events of an upgrade', () => {
  let server: TestServer
  const clients: ParleyClient[] = []
  afterAll(async () => {
    for (const c of clients) await c.close()
    await server?.close()
  })

  it('one upgrade emits exactly one mode event on each side', async () => {
    server = await startServer({ policy: 'optional-e2ee' })
    const carol = await connect(server.url, 'carol')
    const dave = await connect(server.url, 'dave')
    clients.push(carol, dave)
    const cc = await carol.conversations.open('dave')
    const cd = await dave.conversations.open('carol')
    await cc.send({ text: 'before' })
    const convoModes: Record<string, ModeEventPayload[]> = { carol: [], dave: [] }
    const clientModes: Record<string, ModeEventPayload[]> = { carol: [], dave: [] }
    cc.on('mode', (m) => convoModes.carol!.push(m))
    cd.on('mode', (m) => convoModes.dave!.push(m))
    carol.on('mode', (m) => clientModes.carol!.push(m))
    dave.on('mode', (m) => clientModes.dave!.push(m))

    await cc.upgradeToE2EE()
    await waitFor(() => cd.encryption === 'e2ee', 10_000, 'peer pins e2ee')
    // Both sides keep talking E2EE; every delivery and late frame of the upgrade is in by then.
    await cd.send({ text: 'after from dave' })
    await cc.send({ text: 'after from carol' })
    await cc.upgradeToE2EE() // idempotent: no further event
    await new Promise((r) => setTimeout(r, 300))
    for (const side of ['carol', 'dave'] as const) {
      expect(convoModes[side]!.map((m) => m.encryption), side).toEqual(['e2ee'])
      expect(clientModes[side]!.map((m) => m.encryption), side).toEqual(['e2ee'])
    }
    expect(convoModes.carol![0]!.by).toEqual({ userId: 'carol', deviceId: carol.deviceId })
    expect(convoModes.dave![0]!.by).toEqual({ userId: 'carol', deviceId: carol.deviceId })
  }, 60_000)
})
