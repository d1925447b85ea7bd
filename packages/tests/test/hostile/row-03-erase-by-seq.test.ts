/**
 * Row 3 — a hostile server delivers a message with a new id at a seq the client already
 * holds, to replace (erase) the stored one — the evidence a later report would send. Safe
 * outcome: `MessageConflictError` naming that seq, the stored message kept (history and a
 * report still carry it). Control: the error names the targeted seq, so the conflicting
 * frame reached the client's log. The same holds for the seq in the ack of this device's
 * own send (found in review).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { fullHistory, waitFor } from '../helpers/parley.js'
import { POLICIES, bobReceives, hostileWorld, type HostileWorld } from './_world.js'

let w: HostileWorld
afterEach(async () => w?.close())

describe.each(POLICIES)('row 3: erasing a stored message by seq (%s)', (policy) => {
  it('keeps the stored message and surfaces MessageConflictError', async () => {
    w = await hostileWorld(policy)
    let firstSeq: number | undefined
    let deliveries = 0
    w.proxy.hooks.serverFrame = (event, frame) => {
      if (event !== 'message' || frame.kind !== 'message' || frame.sender.userId !== 'alice') return [frame]
      deliveries++
      if (firstSeq === undefined) firstSeq = frame.seq
      // The third message is relabelled to the first one's seq.
      if (deliveries === 3) return [{ ...frame, seq: firstSeq }]
      return [frame]
    }
    await w.ca.send({ text: 'evidence' })
    await w.ca.send({ text: 'two' })
    await bobReceives(w, 2)
    await w.ca.send({ text: 'three, relabelled' })
    await waitFor(() => w.bobErrors.some((e) => e.error.code === 'message_conflict'), 10_000, 'message_conflict')
    const conflict = w.bobErrors.find((e) => e.error.code === 'message_conflict')!
    expect(conflict.error.details).toMatchObject({ conversationId: w.cb.id, seq: firstSeq })
    expect(conflict.conversationId).toBe(w.cb.id)
    const history = await fullHistory(w.bob, w.cb.id)
    expect(history.filter((m) => m.seq === firstSeq).map((m) => m.text)).toEqual(['evidence'])
    // (A server-side conversation's history also reads the server's rows: 'three' is there at its own seq.)
    expect(history.filter((m) => m.text === 'three, relabelled').every((m) => m.seq !== firstSeq)).toBe(true)
    // A report still sends the original (and the server verifies it).
    const result = await w.cb.report({ reason: 'abuse' })
    expect(result).toBeTruthy()
    const report = w.server.reports.at(-1)!
    expect(report.entries.map((e: any) => e.text)).toContain('evidence')
    expect(report.transcript.verified).toBe(true)
  })
})

describe.each(POLICIES)('row 3 (found in review): erasing by the seq of a send ack (%s)', (policy) => {
  it('keeps the stored message; the send rejects with MessageConflictError', async () => {
    w = await hostileWorld(policy)
    await w.ca.send({ text: 'evidence' })
    await bobReceives(w, 1)
    const evidenceSeq = w.bobGot[0]!.seq!
    let rewritten = 0
    w.proxy.hooks.ack = (event, _req, res) => {
      if (event === 'message.send' && res.ok && ++rewritten) return { ok: true, data: { ...res.data, seq: evidenceSeq } }
      return res
    }
    await expect(w.cb.send({ text: 'innocuous' })).rejects.toMatchObject({ code: 'message_conflict', details: { seq: evidenceSeq } })
    expect(rewritten).toBe(1) // control: the lying ack reached the client
    const history = await fullHistory(w.bob, w.cb.id)
    expect(history.filter((m) => m.seq === evidenceSeq).map((m) => m.text)).toEqual(['evidence'])
    expect(w.bobErrors.map((e) => e.error.code)).toContain('message_conflict')
  })
})
