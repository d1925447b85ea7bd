/**
 * Row 17a — the disappearing timer travels inside each message's franked content (issue 17,
 * decision 0023), one suite over the three policies. Bob's connection runs through a tampering
 * proxy. Attacks and safe outcomes:
 * (a) The server holds a message back until a timer is set (or turned off), then delivers it:
 *     bob expires each message by the timer its sender franked — the one sent before the timer
 *     stays, the one sent under a timer since turned off still goes. Controls: both held
 *     messages reached bob, and a message sent under the timer expires at bob.
 * (b) The server rewrites a readable message's timer: the franking no longer opens
 *     (`bad_franking`), nothing shown. In E2EE the timer is inside the ciphertext (the server
 *     never sees a body to rewrite). Control: the untouched next message is shown with its timer.
 * (c) The server back-dates `ts` by an hour: bob's expiry counts from his receipt, not from
 *     `ts` (the message does not vanish on arrival). Control: bob's copy carries the forged ts.
 * (d) After a message expired at bob, the server delivers it again (and, for readable
 *     conversations, returns it in history): it does not come back. Control: the redelivery and
 *     the history row reached bob.
 * (e) A setting validly signed by alice's device at the maximum version is refused
 *     (`version_jump`) and does not freeze the timer: alice's next change is pinned.
 * (f) An edit sent after the timer was turned off expires with its target: no log row and no
 *     message-id index entry of either is left at bob.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { signDisappearing, type DeviceIdentity } from '@parley/crypto'
import { memoryKeyStore, type ErrorPayload, type ExpiredEventPayload, type KeyStore, type Message, type ParleyClient } from '@parley/client'
import { MAX_DISAPPEARING_VERSION, type Policy } from '@parley/protocol'
import { closeAll, connect, fullHistory, startServer, waitFor, type TestServer } from '../helpers/parley.js'
import { startTamperProxy, type TamperProxy } from '../helpers/tamper-proxy.js'
import { POLICIES } from './_world.js'

const TIMER_MS = 1_500
const LONG_MS = 60 * 60 * 1_000

let server: TestServer | undefined
let proxy: TamperProxy | undefined
const clients: ParleyClient[] = []
afterEach(async () => {
  await closeAll({ clients, proxy, server })
  server = undefined
  proxy = undefined
})

async function world(policy: Policy) {
  server = await startServer({ policy })
  proxy = await startTamperProxy(server.url)
  const aliceStore = memoryKeyStore()
  const bobStore = memoryKeyStore()
  const alice = await connect(server.url, 'alice', { keyStore: aliceStore })
  const bob = await connect(proxy.url, 'bob', { keyStore: bobStore })
  clients.push(alice, bob)
  const ca = await alice.conversations.open('bob')
  if (policy === 'optional-e2ee') await ca.upgradeToE2EE()
  const cb = await bob.conversations.open('alice')
  const got: Message[] = []
  cb.on('message', (m) => m.status === 'received' && got.push(m))
  const errors: ErrorPayload[] = []
  bob.on('error', (e) => errors.push(e))
  const expired: string[] = []
  bob.on('expired', (e: ExpiredEventPayload) => expired.push(...e.messageIds))
  await ca.send({ text: 'hello' })
  await waitFor(() => got.length === 1, 15_000, 'the first message at bob')
  return { p: proxy, alice, bob, aliceStore, bobStore, ca, cb, got, errors, expired }
}
type World = Awaited<ReturnType<typeof world>>

/** Holds alice's message deliveries to bob while `hold.on`; `hold.frames` keeps each one seen. */
function holdDeliveries(w: World) {
  const hold = { on: false, held: [] as unknown[], seen: [] as any[] }
  w.p.hooks.serverFrame = (event, frame) => {
    if (event !== 'message' || frame.kind !== 'message' || frame.sender?.userId !== 'alice') return [frame]
    hold.seen.push(frame)
    if (!hold.on) return [frame]
    hold.held.push(frame)
    return []
  }
  return hold
}
const textsOf = async (w: World) => (await fullHistory(w.bob, w.cb.id)).map((m) => m.text)
const setTimerAndWait = async (w: World, ms: number | null) => {
  await w.ca.setDisappearing(ms)
  await waitFor(() => w.cb.disappearingMs === ms, 10_000, `bob pins ${ms}`)
}

describe.each(POLICIES)('row 17a: the franked disappearing timer under %s', (policy) => {
  it('(a) a held-back message expires by its own franked timer, not by the setting bob holds when it arrives', async () => {
    const w = await world(policy)
    const hold = holdDeliveries(w)
    hold.on = true
    await w.ca.send({ text: 'sent before any timer' })
    await setTimerAndWait(w, TIMER_MS)
    hold.on = false
    for (const f of hold.held.splice(0)) w.p.inject('bob', 'message', f)
    await waitFor(() => w.got.some((m) => m.text === 'sent before any timer'), 10_000, 'the held message reached bob') // control
    expect(w.got.find((m) => m.text === 'sent before any timer')!.disappearingMs).toBeUndefined()

    hold.on = true
    const timed = await w.ca.send({ text: 'sent under the timer' })
    await setTimerAndWait(w, null)
    hold.on = false
    for (const f of hold.held.splice(0)) w.p.inject('bob', 'message', f)
    await waitFor(() => w.got.some((m) => m.text === 'sent under the timer'), 10_000, 'the second held message reached bob') // control
    expect(w.got.find((m) => m.text === 'sent under the timer')!.disappearingMs).toBe(TIMER_MS)
    await waitFor(() => w.expired.includes(timed.messageId), 10_000, 'the timed message expires though the timer is off now')
    const texts = await textsOf(w)
    expect(texts).toContain('sent before any timer')
    expect(texts).not.toContain('sent under the timer')
    expect(w.errors).toEqual([])
  })

  it('(b) a rewritten readable timer breaks the franking; in E2EE the server sees no timer at all', async () => {
    const w = await world(policy)
    await setTimerAndWait(w, LONG_MS)
    let rewritten = 0
    let sawBody = false
    w.p.hooks.serverFrame = (event, frame) => {
      if (event !== 'message' || frame.kind !== 'message' || frame.sender?.userId !== 'alice') return [frame]
      if (frame.body) sawBody = true
      if (!frame.body || rewritten > 0) return [frame]
      rewritten++
      return [{ ...frame, body: { ...frame.body, timer: 1_000 } }]
    }
    if (w.cb.encryption === 'e2ee') {
      await w.ca.send({ text: 'e2ee with a timer' })
      await waitFor(() => w.got.length === 2, 10_000, 'the e2ee message')
      expect(sawBody).toBe(false) // nothing readable for the server to rewrite
      expect(w.got[1]!.disappearingMs).toBe(LONG_MS) // the timer came inside the ciphertext
      return
    }
    await w.ca.send({ text: 'timer rewritten' })
    await waitFor(() => w.errors.some((e) => e.error.code === 'bad_franking'), 10_000, 'the rewrite refused')
    expect(rewritten).toBe(1)
    await w.ca.send({ text: 'untouched' })
    await waitFor(() => w.got.some((m) => m.text === 'untouched'), 10_000, 'the untouched message') // control
    expect(w.got.find((m) => m.text === 'untouched')!.disappearingMs).toBe(LONG_MS)
    expect(w.got.map((m) => m.text)).not.toContain('timer rewritten')
  })

  it('(c) a back-dated ts does not make a message expire on arrival: expiry counts from bob\'s receipt', async () => {
    const w = await world(policy)
    await setTimerAndWait(w, LONG_MS)
    const BACK = 2 * LONG_MS
    w.p.hooks.serverFrame = (event, frame) => (event === 'message' && frame.kind === 'message' && frame.sender?.userId === 'alice' ? [{ ...frame, ts: frame.ts - BACK }] : [frame])
    const start = Date.now()
    const sent = await w.ca.send({ text: 'back-dated' })
    await waitFor(() => w.got.some((m) => m.text === 'back-dated'), 10_000, 'the back-dated message')
    const shown = w.got.find((m) => m.text === 'back-dated')!
    expect(shown.ts).toBeLessThan(start - LONG_MS) // control: the forged ts reached bob
    await waitFor(async () => (await w.bobStore.keys('exp/')).length === 1, 10_000, 'bob recorded the expiry')
    const at = Number((await w.bobStore.keys('exp/'))[0]!.slice(4, 20))
    expect(at).toBeGreaterThanOrEqual(start + LONG_MS) // from receipt; min(ts, now) + ms would be in the past
    expect(w.expired).not.toContain(sent.messageId)
    expect(await textsOf(w)).toContain('back-dated')
  })

  it('(d) an expired message does not come back by redelivery or server history', async () => {
    const w = await world(policy)
    const hold = holdDeliveries(w)
    await setTimerAndWait(w, TIMER_MS)
    const sent = await w.ca.send({ text: 'gone for good' })
    await waitFor(() => w.expired.includes(sent.messageId), 10_000, 'expired at bob')
    const original = hold.seen.find((f) => f.messageId === sent.messageId)
    expect(original).toBeTruthy()
    let historyRows = 0
    w.p.hooks.ack = (event, _req, res) => {
      if (event !== 'history.fetch' || !res?.ok || !original.body) return res
      historyRows++
      return { ok: true, data: { ...res.data, messages: [...res.data.messages.filter((m: any) => m.seq !== original.seq), original].sort((a: any, b: any) => a.seq - b.seq) } }
    }
    const before = w.got.length
    w.p.inject('bob', 'message', original)
    await w.ca.send({ text: 'after, untimed' }) // a later delivery: the redelivery was processed before it
    await setTimerAndWait(w, null)
    const after = await w.ca.send({ text: 'sentinel' })
    await waitFor(() => w.got.some((m) => m.id === after.messageId), 10_000, 'the sentinel')
    expect(w.got.slice(before).map((m) => m.text)).not.toContain('gone for good')
    expect(await textsOf(w)).not.toContain('gone for good')
    if (original.body) expect(historyRows).toBeGreaterThan(0) // control: the history row reached bob (readable conversations)
  })

  it('(e) a setting signed at the maximum version is refused and does not freeze the timer', async () => {
    const w = await world(policy)
    const self = (await w.aliceStore.get('self')) as unknown as { userId: string; deviceId: string; device: DeviceIdentity }
    const forged = signDisappearing(self.device, { conversationId: w.ca.id, ms: 1_000, version: MAX_DISAPPEARING_VERSION, userId: self.userId, deviceId: self.deviceId, ts: Date.now() })
    w.p.inject('bob', 'disappearing', { setting: forged })
    await waitFor(() => w.errors.some((e) => e.error.code === 'disappearing_rejected'), 10_000, 'the jump refused')
    expect(w.errors[0]!.error.details).toMatchObject({ reason: 'version_jump', version: MAX_DISAPPEARING_VERSION })
    expect(w.cb.disappearingMs).toBeNull()
    await setTimerAndWait(w, 60_000) // alice's genuine next change is still pinned
  })

  it('(f) an edit sent after the timer was turned off expires with its target, index entries included', async () => {
    const w = await world(policy)
    await setTimerAndWait(w, 3_000)
    const sent = await w.ca.send({ text: 'original, timed' })
    await waitFor(() => w.got.some((m) => m.id === sent.messageId), 10_000, 'the timed message')
    await setTimerAndWait(w, null)
    const updates: Message[] = []
    w.cb.on('update', (m) => updates.push(m))
    await w.ca.edit(sent.messageId, { text: 'edited, untimed' })
    await waitFor(() => updates.some((m) => m.text === 'edited, untimed'), 10_000, 'the edit applied at bob') // control
    const prefix = `msg/${w.cb.id}/`
    expect((await w.bobStore.keys(prefix)).length).toBe(3) // hello, the original, the edit
    await waitFor(() => w.expired.includes(sent.messageId), 10_000, 'the target expires')
    expect((await w.bobStore.keys(prefix)).length).toBe(1)
    expect(await w.bobStore.keys(`msgid/${w.cb.id}/`)).toHaveLength(1)
    expect(await textsOf(w)).toEqual(['hello'])
  })
})
