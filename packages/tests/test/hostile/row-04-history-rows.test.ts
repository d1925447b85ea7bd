/**
 * Row 4 — a hostile server returns readable rows from `history.fetch` for an E2EE
 * conversation. Safe outcome: `history()` of a conversation pinned E2EE is the device's own
 * log; nothing the server adds appears. In a server-side conversation every row passes the
 * checks a live delivery passes: a non-member's row or a row whose franking does not open is
 * refused with its typed error. Control: a crafted, well-formed member row IS merged into a
 * server-side conversation's history, so the tampered answer reaches `history()`.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fullHistory, waitFor } from '../helpers/parley.js'
import { bobReceives, codes, craftReadable, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

/** Adds crafted readable rows to every `history.fetch` answer. */
function addRows(world: HostileWorld, rows: (template: any) => any[]): { answers: number } {
  const seen = { answers: 0 }
  let template: any
  world.proxy.hooks.serverFrame = (event, frame) => {
    if (event === 'message' && frame.kind === 'message') template = frame
    return [frame]
  }
  world.proxy.hooks.ack = (event, _req, res) => {
    if (event !== 'history.fetch' || !res.ok) return res
    seen.answers++
    return { ok: true, data: { ...res.data, messages: [...res.data.messages, ...rows(template)] } }
  }
  return seen
}

function row(template: any, seq: number, text: string, sender = template.sender): any {
  const { envelope: _e, attachments: _a, body: _b, franking, inboxId: _i, ...rest } = template
  return { ...rest, inboxId: 0, messageId: `m_forged_${seq}`, seq, sender, mode: 'server-side', ...craftReadable(text, franking.kid) }
}

describe('row 4: readable history rows', () => {
  it('born E2EE: history() shows only the local log', async () => {
    w = await hostileWorld('default-e2ee')
    addRows(w, (t) => [row(t, 90, 'forged history')])
    await w.ca.send({ text: 'real' })
    await bobReceives(w, 1)
    expect((await fullHistory(w.bob, w.cb.id)).map((m) => m.text)).toEqual(['real'])
  })

  it('upgraded: readable rows after (or before) the pin are not merged', async () => {
    w = await hostileWorld('optional-e2ee')
    await w.ca.send({ text: 'plain' })
    await bobReceives(w, 1)
    await w.ca.upgradeToE2EE()
    await waitFor(() => w.cb.encryption === 'e2ee', 10_000, 'bob pinned')
    addRows(w, (t) => [row(t, 0, 'forged old'), row(t, 95, 'forged new')])
    await w.ca.send({ text: 'encrypted' })
    await bobReceives(w, 2)
    expect((await fullHistory(w.bob, w.cb.id)).map((m) => m.text)).toEqual(['plain', 'encrypted'])
  })

  it('server-side: a member row with a valid commitment is merged (control); a non-member or broken row is refused', async () => {
    w = await hostileWorld('optional-e2ee')
    const answers = addRows(w, (t) => {
      const broken = row(t, 97, 'broken franking')
      broken.body = { ...broken.body, text: 'edited after commit' }
      return [row(t, 96, 'crafted member row'), row(t, 98, 'puppet row', { userId: 'mallory', deviceId: 'd-mallory' }), broken]
    })
    await w.ca.send({ text: 'real' })
    await bobReceives(w, 1)
    const texts = (await fullHistory(w.bob, w.cb.id)).map((m) => m.text)
    expect(answers.answers).toBeGreaterThan(0)
    expect(texts).toContain('crafted member row') // control: the tampered answer reached history()
    expect(texts).not.toContain('puppet row')
    expect(texts).not.toContain('edited after commit')
    expect(codes(w.bobErrors)).toEqual(expect.arrayContaining(['member_mismatch', 'bad_franking']))
  })
})
