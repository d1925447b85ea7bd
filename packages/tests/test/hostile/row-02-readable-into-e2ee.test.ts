/**
 * Row 2 — a hostile server delivers a readable (server-side) message into an E2EE
 * conversation: (a) into one born E2EE, at the first seq; (b) into an upgraded one after
 * inflating the upgrade's seq (the `mode` frame, the mode-change delivery and `lastSeq` in
 * list answers are unsigned). Safe outcome: `DowngradeRejectedError`, nothing shown or stored.
 * Control: the very same crafted readable frame IS shown in a server-side conversation, so
 * it reaches the client and passes every other check (members, franking).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fullHistory, waitFor } from '../helpers/parley.js'
import { asReadable, bobReceives, codes, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

/** Rewrites alice's next `message` delivery to bob into a crafted readable one. */
function forgeNextDelivery(world: HostileWorld, text: string, seq?: number): void {
  let done = false
  const previous = world.proxy.hooks.serverFrame
  world.proxy.hooks.serverFrame = (event, frame, ctx) => {
    const out = previous ? previous(event, frame, ctx) : [frame]
    if (done || event !== 'message' || frame.kind !== 'message' || frame.sender.userId !== 'alice') return out
    done = true
    return [{ ...asReadable(frame, text), ...(seq !== undefined ? { seq } : {}) }]
  }
}

describe('row 2: a readable message into an E2EE conversation', () => {
  it('(a) born E2EE: a readable frame at seq 0 is refused', async () => {
    w = await hostileWorld('default-e2ee')
    expect(w.cb.encryption).toBe('e2ee')
    forgeNextDelivery(w, 'read me, server', 0)
    await w.ca.send({ text: 'honest e2ee' }) // becomes the forged readable frame on the way
    await waitFor(() => codes(w.bobErrors).includes('downgrade_rejected'), 10_000, 'downgrade_rejected')
    await w.ca.send({ text: 'next honest e2ee' })
    await bobReceives(w, 1)
    expect(w.bobGot.map((m) => m.text)).toEqual(['next honest e2ee'])
    expect((await fullHistory(w.bob, w.cb.id)).map((m) => m.text)).toEqual(['next honest e2ee'])
  })

  it('(b) upgraded: an inflated upgrade seq does not open a window for readable frames', async () => {
    w = await hostileWorld('optional-e2ee')
    await w.ca.send({ text: 'plain before' })
    await bobReceives(w, 1)
    const INFLATE = 1_000
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (event === 'mode' && frame.seq !== undefined) return [{ ...frame, seq: frame.seq + INFLATE }]
      if (event === 'message' && frame.kind === 'mode_change') return [{ ...frame, seq: frame.seq + INFLATE }]
      return [frame]
    }
    w.proxy.hooks.ack = (event, _req, res) => {
      if (event === 'conversation.list' && res.ok) return { ok: true, data: { conversations: res.data.conversations.map((i: any) => ({ ...i, lastSeq: i.lastSeq + INFLATE })) } }
      return res
    }
    await w.ca.upgradeToE2EE()
    await waitFor(() => w.cb.encryption === 'e2ee', 10_000, 'bob pinned e2ee')
    forgeNextDelivery(w, 'readable after the upgrade')
    await w.ca.send({ text: 'first e2ee' })
    await waitFor(() => codes(w.bobErrors).includes('downgrade_rejected'), 10_000, 'downgrade_rejected')
    await w.ca.send({ text: 'second e2ee' })
    await bobReceives(w, 2)
    expect(w.bobGot.map((m) => m.text)).toEqual(['plain before', 'second e2ee'])
    const texts = (await fullHistory(w.bob, w.cb.id)).map((m) => m.text)
    expect(texts).not.toContain('readable after the upgrade')
  })

  it('control: the same crafted readable frame is shown in a server-side conversation', async () => {
    w = await hostileWorld('optional-e2ee')
    expect(w.cb.encryption).toBe('server-side')
    forgeNextDelivery(w, 'crafted by the server')
    await w.ca.send({ text: 'original' })
    await bobReceives(w, 1)
    expect(w.bobGot.map((m) => m.text)).toEqual(['crafted by the server'])
    expect(codes(w.bobErrors)).toEqual([])
  })
})
